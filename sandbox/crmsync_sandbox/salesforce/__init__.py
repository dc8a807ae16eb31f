"""The local Salesforce API server: OAuth, REST (query, CRUD, collections), Tooling, Bulk 2.0."""

from crmsync_sandbox.salesforce.app import create_app

__all__ = ["create_app"]
