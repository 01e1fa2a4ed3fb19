"""Overfitting (D2L 3.6): polynomial fits of degree 3, 1 and 19 on the same data.
"""
