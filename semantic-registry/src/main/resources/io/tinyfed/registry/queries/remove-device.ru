# Forgets a registered device: its description (its own graph), its refusal record and its deployment
# records. Rounds and model lineage keep naming it: they record who contributed. Parameters: ?device (IRI),
# ?refusal (IRI of its refusal graph).
PREFIX tf:     <https://tinyfed.io/ns#>
PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>

DELETE { GRAPH ?g { ?s ?p ?o } }
WHERE {
  GRAPH ?g { ?record rdf:type tf:Deployment ; tf:deployedTo ?device . }
  GRAPH ?g { ?s ?p ?o }
} ;
DELETE { GRAPH ?refusal { ?s ?p ?o } } WHERE { GRAPH ?refusal { ?s ?p ?o } } ;
DELETE { GRAPH ?device { ?s ?p ?o } } WHERE { GRAPH ?device { ?s ?p ?o } }
