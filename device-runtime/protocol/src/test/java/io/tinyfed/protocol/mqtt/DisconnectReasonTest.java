package io.tinyfed.protocol.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;

class DisconnectReasonTest {
    @Test
    void aDisconnectIsExplainedByTheBrokersReason_itsCode_orTheBrokenConnection_neverNull() {
        MqttException lost = new MqttException(org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_CONNECTION_LOST,
                new SocketException("Connection reset"));

        assertThat(PahoTransport.disconnectReason(0x8E, "Another client connected with the same id", null))
                .isEqualTo("Another client connected with the same id (reason code 0x8e)");
        assertThat(PahoTransport.disconnectReason(0x8E, null, null))
                .isEqualTo("session taken over by another client with the same id (reason code 0x8e)");
        assertThat(PahoTransport.disconnectReason(0x95, "", null)).isEqualTo("packet too large (reason code 0x95)");
        assertThat(PahoTransport.disconnectReason(0, null, lost)).contains("Connection reset");
        assertThat(PahoTransport.disconnectReason(0xA2, null, null)).isEqualTo("reason code 0xa2");
        assertThat(PahoTransport.disconnectReason(0, null, null)).isEqualTo("normal disconnection");
    }
}
