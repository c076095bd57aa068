"""Reports written from the store: the monitoring log and, later, incident, RCA and closure reports."""
