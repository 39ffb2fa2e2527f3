package io.tinyfed.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicsTest {
    private final Topics topics = Topics.of("fleet-a");

    @Test
    void formatsTheSchemeOfTheArchitecture() {
        assertThat(topics.device("dev-1", Topics.DeviceTopic.UPDATE)).isEqualTo("tinyfed/v1/fleet-a/device/dev-1/update");
        assertThat(topics.model("sine")).isEqualTo("tinyfed/v1/fleet-a/model/sine");
        assertThat(topics.allDevices(Topics.DeviceTopic.HELLO)).isEqualTo("tinyfed/v1/fleet-a/device/+/hello");
        assertThat(topics.sharedUpdates("coordinators"))
                .isEqualTo("$share/coordinators/tinyfed/v1/fleet-a/device/+/update");
        assertThat(topics.allModels()).isEqualTo("tinyfed/v1/fleet-a/model/+");
        assertThat(topics.allModelDeltas()).isEqualTo("tinyfed/v1/fleet-a/model/+/delta");
        assertThat(topics.modelDelta("sine")).isEqualTo("tinyfed/v1/fleet-a/model/sine/delta");
        assertThat(topics.deviceSubtree("dev-1")).isEqualTo("tinyfed/v1/fleet-a/device/dev-1/#");
    }

    @Test
    void parsesItsOwnTopicsAndNothingElse() {
        assertThat(topics.parse("tinyfed/v1/fleet-a/device/dev-1/update"))
                .contains(new Topics.Address("fleet-a", Topics.DeviceTopic.UPDATE, "dev-1"));
        assertThat(topics.parse("tinyfed/v1/fleet-a/model/sine"))
                .contains(new Topics.Address("fleet-a", null, null, "sine", false));
        assertThat(topics.parse(topics.modelDelta("sine"))).contains(new Topics.Address("fleet-a", null, null, "sine", true))
                .hasValueSatisfying(a -> assertThat(a.isModel()).isFalse());
        assertThat(topics.parse("tinyfed/v1/fleet-a/model/sine/other")).isEmpty();
        assertThat(topics.parse("tinyfed/v1/fleet-b/device/dev-1/update")).isEmpty();
        assertThat(topics.parse("tinyfed/v1/fleet-a/device/dev-1/update/extra")).isEmpty();
        assertThat(topics.parse("tinyfed/v1/fleet-a/device/+/update")).isEmpty();
        assertThat(topics.parse("tinyfed/v1/fleet-a/device/dev-1/unknown")).isEmpty();
        assertThat(topics.parse(null)).isEmpty();
    }

    @Test
    void refusesIdentifiersThatWouldEscapeTheirTopicLevel() {
        for (String bad : new String[] {"", "a/b", "+", "#", "a b", "x".repeat(65)}) {
            assertThatThrownBy(() -> topics.device(bad, Topics.DeviceTopic.HELLO)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Topics.of("fleet/x")).isInstanceOf(IllegalArgumentException.class);
    }
}
