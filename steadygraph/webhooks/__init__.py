"""Run webhooks: the URL policy and the POST reporting a finished run."""
