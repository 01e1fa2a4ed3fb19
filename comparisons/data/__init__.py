"""comparisons.data"""
