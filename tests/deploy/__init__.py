"""`make test-deploy` (run.py): the image and the compose deployment, for real."""
