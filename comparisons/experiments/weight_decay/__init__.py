"""Weight decay (D2L 3.7): a high-dimensional linear model, the penalty's two conventions, a lambda
sweep.
"""
