"""comparisons.experiments"""
