"""The statutory state machines: information requests, complaints and objections."""
