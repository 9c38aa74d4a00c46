"""The information asset register: roll-up of files into assets, database tables and columns, the read side and its
renderings and exports.

May import store and `scanner` types.
"""
