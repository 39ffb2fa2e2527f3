package io.tinyfed.simulators.tasks;

import io.tinyfed.core.Architecture;

import io.tinyfed.core.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Smart-building presence: each device is one room's multi-sensor node and tells, every 5 minutes, whether the room
 * is empty, has 1-2 people or 3 or more, from CO2, its 15-minute rise, temperature, humidity, light, PIR motion
 * count, sound level and the time of day. The data come from a documented generator (not a recorded data set):
 *
 * <ul>
 *   <li><b>Occupancy</b> follows the room's schedule: an office (weekdays 8-18 with a lunch dip), a meeting room
 *       (bookings of 30-120 min on weekdays) or a flat (mornings, evenings and nights, weekends at home). Each occupied
 *       stretch has 1..capacity people (capacity 4-12).</li>
 *   <li><b>CO2</b> (ppm) obeys the single-zone mass balance {@code dC/dt = 18,700 n / V - ach (C - C_out)} with
 *       18.7 L/h exhaled per person, room volume V of 30-300 m3, 0.5-4 air changes per hour and outdoor
 *       CO2 of 400-440 ppm, plus the sensor's own offset of +-50 ppm and 10 ppm noise.</li>
 *   <li><b>Temperature</b> relaxes to the heating set point (19-23 C) in the heating season or towards the outdoor
 *       temperature (seasonal sine, 2-24 C) otherwise, +0.15 C per person; <b>humidity</b> follows the season, +1%
 *       per person; <b>light</b> is daylight (day length by season) through the room's windows (0-1) times the
 *       sensor's gain (0.5-2) plus lamps of 250-500 lux when occupied (and left on in 5% of empty steps);
 *       <b>PIR</b> counts motion events with a per-room detection probability 0.2-0.9 per person (seated people
 *       are missed), plus false triggers; <b>sound</b> is the room's HVAC floor (28-40 dB) plus 8-14 dB with people.</li>
 * </ul>
 * Rooms differ in volume, ventilation, schedule, sensor calibration and PIR placement, so the same readings mean
 * different occupancy in different rooms: the reason to adapt per room. Drift: the same room three months later
 * (another season: outdoor temperature, humidity, daylight, heating) with its CO2 sensor drifted by 40-120 ppm.
 * Training and new devices are rooms drawn from the same generator (new rooms are new draws).
 */
public final class PresenceFamily implements TaskFamily {
    /** Inputs: co2, co2 rise over 15 min, temperature, humidity, light, pir, sound, hour sin, hour cos. */
    public static final int FEATURES = 9;
    public static final int CLASSES = 3;
    private static final Architecture ARCHITECTURE = Architecture.builder(FEATURES).dense(32).relu().dense(CLASSES)
            .softmax().build();
    private static final int STEPS_PER_DAY = 288;
    private static final int DAYS = 14;

    @Override
    public String name() {
        return "presence";
    }

    @Override
    public Architecture architecture() {
        return ARCHITECTURE;
    }

    /** 3 classes x 5 shots, 32 steps, lr 0.1, 30 test points. */
    @Override
    public Protocol protocol() {
        return new Protocol(CLASSES * 5, 32, 0.1f, CLASSES * 10);
    }

    @Override
    public Room trainingTask(SplittableRandom random) {
        return Room.draw(random);
    }

    @Override
    public Room heldOutTask(SplittableRandom random) {
        return Room.draw(random);
    }

    /** One room; its 14 days of readings are simulated from its own seed on first use. */
    public static final class Room implements TaskFamily.Task {
        enum Kind { OFFICE, MEETING, FLAT }

        private final Kind kind;
        private final long seed;
        private final double volume;
        private final double ach;
        private final double outdoorCo2;
        private final double co2Offset;
        private final int capacity;
        private final double setPoint;
        private final double window;
        private final double lightGain;
        private final double pirDetect;
        private final double hvacDb;
        private final int startDay;
        private List<float[]>[] byClass;

        private Room(Kind kind, long seed, double volume, double ach, double outdoorCo2, double co2Offset, int capacity,
                     double setPoint, double window, double lightGain, double pirDetect, double hvacDb, int startDay) {
            this.kind = kind;
            this.seed = seed;
            this.volume = volume;
            this.ach = ach;
            this.outdoorCo2 = outdoorCo2;
            this.co2Offset = co2Offset;
            this.capacity = capacity;
            this.setPoint = setPoint;
            this.window = window;
            this.lightGain = lightGain;
            this.pirDetect = pirDetect;
            this.hvacDb = hvacDb;
            this.startDay = startDay;
        }

        static Room draw(SplittableRandom r) {
            return new Room(Kind.values()[r.nextInt(3)], r.nextLong(), 30 + r.nextDouble() * 270, 0.5 + r.nextDouble() * 3.5,
                    400 + r.nextDouble() * 40, (r.nextDouble() * 2 - 1) * 50, 4 + r.nextInt(9), 19 + r.nextDouble() * 4,
                    r.nextDouble(), 0.5 + r.nextDouble() * 1.5, 0.2 + r.nextDouble() * 0.7, 28 + r.nextDouble() * 12,
                    r.nextInt(365));
        }

        /** Three months later, with the CO2 sensor drifted upwards by 40-120 ppm. */
        @Override
        public Room drifted(SplittableRandom r) {
            return new Room(kind, r.nextLong(), volume, ach, outdoorCo2, co2Offset + 40 + r.nextDouble() * 80, capacity,
                    setPoint, window, lightGain, pirDetect, hvacDb, (startDay + 91) % 365);
        }

        @Override
        public List<Sample> samples(int n, SplittableRandom random) {
            List<float[]>[] pools = readings();
            Draws draws = new Draws(CLASSES);
            List<Sample> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int c = i % CLASSES;
                List<float[]> pool = pools[c];
                float[] y = new float[CLASSES];
                y[c] = 1f;
                out.add(new Sample(pool.get(draws.next(c, pool.size(), random)), y));
            }
            return out;
        }

        @Override
        public List<List<Sample>> episode(int shots, int test, SplittableRandom random) {
            return TaskFamily.Task.split(samples(shots + test, random), shots);
        }

        /** The room's readings grouped by class; every class is present (the schedule guarantees occupied stretches). */
        @SuppressWarnings("unchecked")
        synchronized List<float[]>[] readings() {
            if (byClass != null) {
                return byClass;
            }
            List<float[]>[] pools = new List[CLASSES];
            for (int c = 0; c < CLASSES; c++) {
                pools[c] = new ArrayList<>();
            }
            SplittableRandom r = new SplittableRandom(seed);
            int[] people = schedule(r);
            double co2 = outdoorCo2;
            double temp = setPoint;
            double[] history = new double[3];
            for (int t = 0; t < people.length; t++) {
                int day = (startDay + t / STEPS_PER_DAY) % 365;
                double hour = (t % STEPS_PER_DAY) / 12.0;
                double season = Math.cos(2 * Math.PI * (day - 200) / 365.0); // +1 in late July, -1 in January
                double outdoorTemp = 13 + 11 * season + 4 * Math.sin(2 * Math.PI * (hour - 9) / 24);
                boolean heating = outdoorTemp < 14;
                int n = people[t];
                double dt = 5 / 60.0; // hours
                co2 += dt * (18_700.0 * n / volume - ach * (co2 - outdoorCo2));
                double target = heating ? setPoint : 0.5 * (setPoint + outdoorTemp) + 2;
                temp += 0.3 * (target - temp) + 0.15 * n * dt * 4;
                double humidity = 45 + 10 * season + 1.0 * n + r.nextGaussian() * 1.5;
                double dayLength = 12 + 4 * season;
                double sun = Math.max(0, Math.sin(Math.PI * (hour - (12 - dayLength / 2)) / dayLength));
                double lamps = n > 0 || r.nextDouble() < 0.05 ? 250 + r.nextDouble() * 250 : 0;
                double lux = lightGain * (window * 2_000 * sun * (0.6 + 0.4 * r.nextDouble()) + lamps);
                int pir = poisson(r, n * pirDetect * 3 + 0.05);
                double sound = hvacDb + (n > 0 ? 8 + 6 * Math.log1p(n) / Math.log1p(12) + r.nextGaussian() * 2 : r.nextGaussian());
                double reading = co2 + co2Offset + r.nextGaussian() * 10;
                double rise = reading - history[t % 3];
                history[t % 3] = reading;
                if (t < 3) {
                    continue; // no 15-minute rise yet
                }
                float[] x = {
                    (float) ((reading - 400) / 1_000), (float) (rise / 200), (float) ((temp + r.nextGaussian() * 0.2 - 20) / 5),
                    (float) ((humidity - 45) / 20), (float) (lux / 1_000), (float) (pir / 10.0), (float) ((sound - 30) / 30),
                    (float) Math.sin(2 * Math.PI * hour / 24), (float) Math.cos(2 * Math.PI * hour / 24)};
                pools[n == 0 ? 0 : n <= 2 ? 1 : 2].add(x);
            }
            for (int c = 0; c < CLASSES; c++) {
                if (pools[c].isEmpty()) {
                    throw new IllegalStateException("room " + kind + " (seed " + seed + ") produced no readings of class " + c);
                }
            }
            byClass = pools;
            return pools;
        }

        /** People in the room at each 5-minute step. */
        private int[] schedule(SplittableRandom r) {
            int[] people = new int[DAYS * STEPS_PER_DAY];
            int t = 0;
            while (t < people.length) {
                int day = t / STEPS_PER_DAY;
                double hour = (t % STEPS_PER_DAY) / 12.0;
                boolean weekday = (startDay + day) % 7 < 5;
                boolean busy = switch (kind) {
                    case OFFICE -> weekday && hour >= 8 && hour < 18 && !(hour >= 12 && hour < 13 && r.nextDouble() < 0.7);
                    case MEETING -> weekday && hour >= 8 && hour < 18 && r.nextDouble() < 0.35;
                    case FLAT -> (hour >= 6 && hour < 8.5) || hour >= 18 || hour < 6 || (!weekday && r.nextDouble() < 0.6);
                };
                int length = kind == Kind.MEETING ? 6 + r.nextInt(19) : 6 + r.nextInt(12);
                int n = busy ? 1 + r.nextInt(capacity) : 0;
                for (int k = 0; k < length && t < people.length; k++, t++) {
                    people[t] = n;
                }
            }
            return people;
        }

        private static int poisson(SplittableRandom r, double mean) {
            double l = Math.exp(-mean);
            int k = 0;
            double p = r.nextDouble();
            while (p > l) {
                k++;
                p *= r.nextDouble();
            }
            return k;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%s room %.0f m3, %.1f ach, capacity %d", kind, volume, ach, capacity);
        }
    }

    @Override
    public String toString() {
        return "presence: empty / 1-2 / 3+ people from 9 readings, simulated rooms, 3-way 5-shot";
    }

}
