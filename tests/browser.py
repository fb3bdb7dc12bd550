"""A small headless-Chromium driver over the DevTools protocol (--remote-debugging-pipe):
open a page, run JavaScript, press keys, click, take screenshots. Tests only."""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")


def chromium_path():
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """``with Browser() as browser: browser.open(url); browser.evaluate("1 + 1")``."""

    def __init__(self, width: int = 1200, height: int = 800, timeout: float = 30.0):
        self.width, self.height, self.timeout = width, height, timeout
        self._next_id = 0
        self._buffer = b""
        self.session = None

    def __enter__(self):
        binary = chromium_path()
        if binary is None:
            raise RuntimeError("no Chromium binary on PATH")
        self.profile = tempfile.mkdtemp(prefix="graphlab-chromium-")
        # the browser reads commands from fd 3 and writes replies to fd 4
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def arrange_fds():
            # move both ends out of the way first: either may itself be fd 3 or 4
            reading = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)      # dup2 copies are inheritable: they survive exec
            os.dup2(writing, 4)
            os.close(reading)
            os.close(writing)

        self.process = subprocess.Popen(
            [binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=arrange_fds, close_fds=False)   # the pipes' own fds close on exec (CLOEXEC)
        os.close(to_browser_read)
        os.close(from_browser_write)
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(target for target in targets if target["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        return self

    def __exit__(self, *exc):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- the protocol ------------------------------------------------------------------------------
    def call(self, method: str, session: bool = True, **params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session and self.session is not None:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    # -- what tests do ---------------------------------------------------------------------------------
    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + self.timeout
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading")
            time.sleep(0.05)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def press(self, key: str) -> None:
        codes = {"ArrowRight": 39, "ArrowLeft": 37, "Home": 36, "End": 35, "Enter": 13}
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=codes[key], nativeVirtualKeyCode=codes[key])

    def click(self, selector: str, frame: str = None) -> None:
        """A real mouse click in the middle of ``selector``'s element, scrolled into view first;
        with ``frame`` (a selector of a same-origin iframe, e.g. a notebook's inline walk) the
        element is looked up inside that iframe's document."""
        host = "null" if frame is None else f"document.querySelector({json.dumps(frame)})"
        box = self.evaluate(f"""(function () {{
            var host = {host}, root = host ? host.contentDocument : document;
            var element = root.querySelector({json.dumps(selector)});
            element.scrollIntoView({{block: "center"}});
            var r = element.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (host) {{
                var outer = host.getBoundingClientRect();
                x += outer.x + host.clientLeft; y += outer.y + host.clientTop;
            }}
            return [x, y]; }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, text: str) -> None:
        """Type ``text`` into the focused element (as an input method would insert it)."""
        self.call("Input.insertText", text=text)

    def screenshot(self, path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))
