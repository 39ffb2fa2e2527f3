package io.tinyfed.simulators.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tinyfed.core.Model;
import io.tinyfed.core.Sample;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TaskFamiliesTest {
    @Test
    void digits_newDevicesSeeOnlyHeldOutImagesAndBalancedSlots() throws Exception {
        ImageClassFamily digits = ImageClassFamily.digits();
        Set<float[]> training = Collections.newSetFromMap(new IdentityHashMap<>());
        for (TaskFamily.Task t : digits.trainingTasks(30, 1)) {
            for (Sample s : t.samples(50, new SplittableRandom(2))) {
                training.add(s.x());
            }
        }

        List<Sample> fresh = digits.heldOutTask(new SplittableRandom(3)).samples(25, new SplittableRandom(4));

        assertThat(fresh).noneMatch(s -> training.contains(s.x()));
        int[] perSlot = new int[digits.ways()];
        for (Sample s : fresh) {
            perSlot[Adaptation.argmax(s.y())]++;
        }
        assertThat(perSlot).containsOnly(5);
        assertThat(digits.architecture().inputSize()).isEqualTo(64);
        assertThat(digits.classification()).isTrue();
    }

    @Test
    void families_sameSeedSameSamples() throws Exception {
        for (TaskFamily family : List.of(ImageClassFamily.digits(), new PresenceFamily(), SineFamily.FAMILY)) {
            List<Sample> a = family.heldOutTasks(3, 7).get(2).samples(12, new SplittableRandom(8));
            List<Sample> b = family.heldOutTasks(3, 7).get(2).samples(12, new SplittableRandom(8));
            for (int i = 0; i < a.size(); i++) {
                assertThat(a.get(i).x()).as(family.name()).containsExactly(b.get(i).x());
                assertThat(a.get(i).y()).as(family.name()).containsExactly(b.get(i).y());
            }
        }
    }

    @Test
    void presence_everyRoomHasEveryClassAndDriftShiftsCo2() {
        PresenceFamily presence = new PresenceFamily();
        for (TaskFamily.Task t : presence.trainingTasks(20, 5)) {
            PresenceFamily.Room room = (PresenceFamily.Room) t;
            List<float[]>[] byClass = room.readings();
            assertThat(byClass).allSatisfy(pool -> assertThat(pool).isNotEmpty());
            double emptyCo2 = meanFeature(byClass[0], 0);
            double crowdedCo2 = meanFeature(byClass[2], 0);
            assertThat(crowdedCo2).as(room.toString()).isGreaterThan(emptyCo2);

            double drifted = meanFeature(room.drifted(new SplittableRandom(6)).readings()[0], 0);
            assertThat(drifted - emptyCo2).as("CO2 sensor drift, in 1,000 ppm").isBetween(0.02, 0.15);
        }
    }

    @Test
    void adaptation_scoresAccuracyForClassificationAndMseForRegression() throws Exception {
        PresenceFamily presence = new PresenceFamily();
        Model init = Model.initialize(presence.architecture(), 3);
        List<TaskFamily.Task> tasks = presence.heldOutTasks(20, 9);

        double[] none = Adaptation.scores(presence, init, tasks, presence.protocol().withSteps(0), 1);
        double[] adapted = Adaptation.scores(presence, init, tasks, presence.protocol().withSteps(64), 1);

        assertThat(java.util.Arrays.stream(none).boxed().toList()).allSatisfy(a -> assertThat(a).isBetween(0.0, 1.0));
        assertThat(Adaptation.meanAndInterval(adapted)[0]).isGreaterThan(Adaptation.meanAndInterval(none)[0] + 0.2);
    }

    private static double meanFeature(List<float[]> xs, int k) {
        double s = 0;
        for (float[] x : xs) {
            s += x[k];
        }
        return s / xs.size();
    }

    @Test
    void episodes_keepSupportAndTestApart() throws Exception {
        for (TaskFamily family : List.of(ImageClassFamily.digits(), new PresenceFamily())) {
            TaskFamily.Protocol p = family.protocol();
            for (TaskFamily.Task t : family.heldOutTasks(20, 11)) {
                List<List<Sample>> episode = t.episode(p.shots(), p.testPoints(), new SplittableRandom(12));
                Set<float[]> support = Collections.newSetFromMap(new IdentityHashMap<>());
                episode.get(0).forEach(s -> support.add(s.x()));

                assertThat(episode.get(0)).hasSize(p.shots());
                assertThat(episode.get(1)).hasSize(p.testPoints()).noneMatch(s -> support.contains(s.x()));
            }
        }
    }
}
