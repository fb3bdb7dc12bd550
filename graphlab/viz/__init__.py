"""Diagrams of the backward pass: ``gl.draw`` / ``gl.render`` (Graphviz), ``gl.walk`` (one frame
per Step, with an HTML stepper), ``gl.quiz`` (that stepper asking for each gradient) and
``gl.viz.text`` (terminals).

``labels.py`` makes the text, ``graph.py`` decides what is drawn, ``dot.py`` is the only module
that imports graphviz (when a diagram is made, not when graphlab is imported).
"""
from graphlab.viz.dot import GraphvizNotFoundError, RenderError, draw, render
from graphlab.viz.graph import VizError
from graphlab.viz.text import diagram, text
from graphlab.viz.quiz import Quiz, quiz
from graphlab.viz.walk import Walk, walk

__all__ = ["draw", "render", "walk", "quiz", "text", "diagram", "Walk", "Quiz", "RenderError",
           "GraphvizNotFoundError", "VizError"]
