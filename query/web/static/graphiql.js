// Starts GraphiQL on /graphql from the node's own copies of React and GraphiQL (the
// page has no inline script). The query and variables are kept in the URL (as `q` and
// `variables`: a `query` parameter would make the GET a GraphQL request), so a GraphiQL
// link can be shared.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.getAttribute("data-endpoint"), location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  var params = new URLSearchParams(location.search);

  function keep(name, value) {
    if (value) params.set(name, value); else params.delete(name);
    history.replaceState(null, "", "?" + params.toString());
  }

  var fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      query: params.get("q") || undefined,
      variables: params.get("variables") || undefined,
      onEditQuery: function (value) { keep("q", value); },
      onEditVariables: function (value) { keep("variables", value); },
    })
  );
})();
