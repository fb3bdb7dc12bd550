"""``gl.train``: the training loop, its History, callbacks, the health monitor, recipes, and
``load_run`` (a finished ``graphlab train`` run's model, to evaluate or use).

>>> import graphlab as gl
>>> sorted(gl.train.RECIPES)
['digits-cnn', 'digits-mlp', 'shapes-densenet', 'spiral-mlp']
"""
from graphlab.train.callbacks import Callback, Checkpoint, EarlyStopping, LambdaCallback
from graphlab.train.health import HealthMonitor, TrainingWarning
from graphlab.train.history import History
from graphlab.train.loop import Trainer, correct_count, evaluate, fit, predict
from graphlab.train.recipes import RECIPES, Recipe, RecipeResult, run_recipe
from graphlab.train.runs import Run, RunError, load_run

__all__ = ["fit", "evaluate", "predict", "Trainer", "History", "Callback", "EarlyStopping", "Checkpoint",
           "LambdaCallback", "HealthMonitor", "TrainingWarning", "RECIPES", "Recipe", "RecipeResult", "run_recipe",
           "correct_count", "load_run", "Run", "RunError"]
