"""comparisons.verify"""
