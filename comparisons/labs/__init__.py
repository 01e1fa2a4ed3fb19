"""What the course notebooks import: ``checks`` (the check an exercise cell ends with, one status
line, a student's exception never crashing the notebook).
"""
