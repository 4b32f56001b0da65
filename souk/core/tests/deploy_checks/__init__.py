"""Checks of the production image and compose file (deploy/) that need no container engine;
souk/core/tests/test_deploy_files.py runs them."""
