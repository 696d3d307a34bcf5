"""Release tooling that talks to AWS (boto3): the database migrations of an environment."""
