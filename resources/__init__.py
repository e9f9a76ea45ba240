"""The owned-resource kit: what every resource owned by a user shares.

``items``, ``storage`` and every app made by ``manage.py startresource`` build on these
explicit base classes and functions; an app keeps only what is its own. Imports point
down: this package may use ``config`` and ``accounts``, never an app built on it.
"""
