"""The read side: store protocols, the GraphQL schema and its resolvers."""
