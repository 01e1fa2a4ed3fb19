"""House prices (D2L 5.7, the Kaggle lab): ``config`` (models and sweeps), ``models``, ``cv``
(K-fold cross-validation), ``outputs`` (fold table, predictions CSV, figures).
"""
