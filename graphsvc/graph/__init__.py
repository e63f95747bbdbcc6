"""The music graph behind one interface, with two backends: Neo4j and an embedded networkx store."""
