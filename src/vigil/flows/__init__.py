"""What crosses domains: one function per act of the step, called alike by the watch, the CLI and the web.

A domain service changes its own records; a flow also does what that change makes due elsewhere (a sealed
document that is now stale sealed again, say). Flows import domains; no domain imports a flow.
"""
