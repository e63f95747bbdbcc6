"""The next-track recommender: one code path for the API, ``etl eval`` and the set builder.

- ``context``: what a graph backend gathers about a source track (the same on both backends);
- ``embedded_context``: that, from the embedded store's indexes (Neo4j: ``cypher/rec_*.cypher``);
- ``features``: candidates, the user's hard constraints, and the features of each candidate;
- ``model``: the ranking model (a conditional logit with non-negative weights) and its prior;
- ``train``: fitting it on the graph's own history; ``history``: the graph as of an earlier date;
- ``explain``: evidence and the sentence a DJ reads; ``service``: ``recommend()``, the served function.
"""
