# Marks registered devices online or offline, all in one update. Parameter: ?changes, rows of (device IRI,
# online boolean, at xsd:dateTime); devices that are not registered are left alone.
PREFIX tf:     <https://tinyfed.io/ns#>
PREFIX sosa:   <http://www.w3.org/ns/sosa/>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd:    <http://www.w3.org/2001/XMLSchema#>

DELETE { GRAPH ?device { ?device tf:online ?wasOnline ; tf:lastSeen ?wasSeen } }
INSERT { GRAPH ?device { ?device tf:online ?online ; tf:lastSeen ?at } }
WHERE {
  VALUES (?device ?online ?at) { ?changes }
  GRAPH ?device { ?device rdf:type tf:Device }
  OPTIONAL { GRAPH ?device { ?device tf:online ?wasOnline } }
  OPTIONAL { GRAPH ?device { ?device tf:lastSeen ?wasSeen } }
}
