// The registry's own console (tinyfed registry serve): the SPARQL console and matchmaking of the coordinator's
// dashboard, against this registry's endpoint.
"use strict";

document.addEventListener("DOMContentLoaded", () => TinyFed.registryConsole(document.getElementById("registry-console"), {
  queries: "queries", sparql: "/tinyfed/sparql", match: "/tinyfed/match",
}));
