/**
 * Coverage-guided fuzz targets (Jazzer) for every decoder of bytes from the network: whatever the
 * bytes, a decoder returns a complete record or throws {@link io.tinyfed.protocol.ProtocolException};
 * any other exception or error is a finding. The build replays each target's committed inputs in
 * {@code src/test/resources/io/tinyfed/protocol/fuzz/}; {@code ./mvnw test -pl device-runtime/protocol
 * -Dfuzz.skip=false -Dfuzz.duration=10m} searches.
 */
package io.tinyfed.protocol.fuzz;
