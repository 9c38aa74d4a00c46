"""The web review: pages and a JSON API for Information Asset Owners, the SIRO and administrators."""
