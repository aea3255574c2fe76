"""CDK app for Octag: every resource declared from the route manifest (`template-local.yml`)."""
