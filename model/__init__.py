"""The packaged model: feature spec, booster, calibrator, grade scale, reasons and registry loading.

Training builds and logs it, serving and notebooks load it. It imports nothing else of tradecredit:
a model is logged with this package as its code, so it scores wherever mlflow, lightgbm, pandas,
numpy and numba are installed, tradecredit or not.
"""
