"""Connects allauth's signals to Coproduce services (the rules live in the services)."""
