EXTRA_DIST += %reldir%/startup/run.py
