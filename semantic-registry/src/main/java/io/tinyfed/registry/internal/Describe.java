package io.tinyfed.registry.internal;

import io.tinyfed.registry.DeploymentRecord;
import io.tinyfed.registry.DeviceDescription;
import io.tinyfed.registry.Iris;
import io.tinyfed.registry.ModelVersionDescription;
import io.tinyfed.registry.RefusalRecord;
import io.tinyfed.registry.RolloutRecord;
import io.tinyfed.registry.RoundRecord;
import io.tinyfed.registry.vocabulary.MLS;
import io.tinyfed.registry.vocabulary.NNET;
import io.tinyfed.registry.vocabulary.OM;
import io.tinyfed.registry.vocabulary.PROV;
import io.tinyfed.registry.vocabulary.S3N;
import io.tinyfed.registry.vocabulary.SCHEMA;
import io.tinyfed.registry.vocabulary.SOSA;
import io.tinyfed.registry.vocabulary.SSN;
import io.tinyfed.registry.vocabulary.SSNSystem;
import io.tinyfed.registry.vocabulary.TF;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Calendar;
import java.util.GregorianCalendar;
import java.util.TimeZone;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.datatypes.xsd.XSDDateTime;
import org.apache.jena.rdf.model.Literal;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;
import org.apache.jena.vocabulary.RDF;
import org.apache.jena.vocabulary.RDFS;

/**
 * Turns the registry's records into RDF: S3N/SOSA for devices, nnet:/ML-Schema for model versions,
 * PROV-O for rounds and deployments, plus the normalised {@code tf:} terms matchmaking reads.
 * Values are written as they are (a negative size stays negative) so that the shapes, not this
 * class, decide what is valid.
 */
public final class Describe {
    private Describe() {
    }

    public static Model device(DeviceDescription d) {
        Model m = model();
        String iri = d.iri();
        Resource dev = m.createResource(iri).addProperty(RDF.type, TF.DEVICE).addProperty(RDF.type, S3N.SMART_SENSOR)
                .addProperty(TF.DEVICE_ID, d.deviceId()).addProperty(TF.FLEET, d.fleet())
                .addProperty(SCHEMA.NAME, d.deviceId())
                .addLiteral(TF.RAM_BYTES, integer(d.ramBytes())).addLiteral(TF.ONLINE, d.online());
        if (d.flashBytes() != 0) { // 0: not stated (the shapes refuse negative sizes)
            dev.addLiteral(TF.FLASH_BYTES, integer(d.flashBytes()));
        }
        for (String f : d.formats()) {
            dev.addProperty(TF.SUPPORTS_FORMAT, format(f));
        }
        if (d.lastSeen() != null) {
            dev.addLiteral(TF.LAST_SEEN, dateTime(d.lastSeen()));
        }
        optional(dev, TF.RUNTIME_VERSION, d.runtimeVersion());
        optional(dev, TF.FIRMWARE_VERSION, d.firmwareVersion());
        if (d.gatewayId() != null && !d.gatewayId().isEmpty()) {
            dev.addProperty(TF.ATTACHED_VIA, m.createResource(Iris.device(d.fleet(), d.gatewayId())));
        }
        // S3N: the micro-controller is a subsystem whose capability has RAM and flash memory properties.
        Resource mcu = m.createResource(iri + "#mcu").addProperty(RDF.type, S3N.MICRO_CONTROLLER);
        optional(mcu, SCHEMA.NAME, d.cpu());
        if (d.clockMhz() > 0) {
            mcu.addLiteral(TF.CLOCK_MHZ, integer(d.clockMhz()));
        }
        Resource capability = m.createResource(iri + "#capability").addProperty(RDF.type, SSNSystem.SYSTEM_CAPABILITY);
        capability.addProperty(SSNSystem.HAS_SYSTEM_PROPERTY, memory(m, iri + "#ram", "RAM", d.ramBytes()));
        if (d.flashBytes() != 0) {
            capability.addProperty(SSNSystem.HAS_SYSTEM_PROPERTY, memory(m, iri + "#flash", "flash", d.flashBytes()));
        }
        mcu.addProperty(S3N.HAS_SYSTEM_CAPABILITY, capability);
        dev.addProperty(SSN.HAS_SUB_SYSTEM, mcu);
        for (String sensor : d.sensors()) {
            Resource s = m.createResource(iri + "#sensor-" + java.net.URLEncoder.encode(sensor, java.nio.charset.StandardCharsets.UTF_8)).addProperty(RDF.type, SOSA.SENSOR)
                    .addProperty(RDFS.label, sensor)
                    .addProperty(SOSA.OBSERVES, m.createResource(Iris.property(sensor)).addProperty(RDF.type,
                            SOSA.OBSERVABLE_PROPERTY));
            dev.addProperty(SOSA.HOSTS, s).addProperty(SSN.HAS_SUB_SYSTEM, s)
                    .addProperty(TF.SENSES, m.createResource(Iris.property(sensor)));
        }
        return m;
    }

    public static Model modelVersion(ModelVersionDescription v) {
        Model m = model();
        String iri = v.iri();
        Resource lineage = m.createResource(Iris.model(v.modelId())).addProperty(RDF.type, TF.MODEL)
                .addProperty(TF.MODEL_ID, v.modelId());
        Resource ver = m.createResource(iri).addProperty(RDF.type, TF.MODEL_VERSION)
                .addProperty(RDF.type, NNET.NEURAL_NETWORK).addProperty(RDF.type, PROV.ENTITY)
                .addProperty(TF.VERSION_OF, lineage).addLiteral(TF.VERSION_NUMBER, integer(v.version()))
                .addProperty(SCHEMA.NAME, v.modelId() + " v" + v.version())
                .addLiteral(TF.PARAMETER_COUNT, integer(v.parameterCount()));
        optional(ver, TF.ARCHITECTURE, v.architecture());
        if (v.parentVersion() != null) {
            ver.addProperty(PROV.WAS_DERIVED_FROM, m.createResource(Iris.version(v.modelId(), v.parentVersion())));
        }
        if (v.created() != null) {
            ver.addLiteral(PROV.GENERATED_AT_TIME, dateTime(v.created()));
        }
        for (ModelVersionDescription.Requirement r : v.requirements()) {
            String suffix = r.format() + (r.trainableLayers() == null ? "-inference" : "-train" + r.trainableLayers());
            Resource req = m.createResource(iri + "#requirement-" + suffix).addProperty(RDF.type, TF.RESOURCE_REQUIREMENT)
                    .addProperty(TF.FORMAT, format(r.format()))
                    .addLiteral(TF.INFERENCE_ARENA_BYTES, integer(r.inferenceArenaBytes()));
            if (r.trainingArenaBytes() != null) {
                req.addLiteral(TF.TRAINING_ARENA_BYTES, integer(r.trainingArenaBytes()));
            }
            if (r.trainableLayers() != null) {
                req.addLiteral(TF.TRAINABLE_LAYERS, integer(r.trainableLayers()));
            }
            if (r.flashBytes() != null) {
                req.addLiteral(TF.FLASH_BYTES, integer(r.flashBytes()));
            }
            ver.addProperty(TF.REQUIREMENT, req);
        }
        int n = v.layers().size();
        for (ModelVersionDescription.LayerInfo l : v.layers()) {
            Resource layer = m.createResource(iri + "#layer-" + l.index()).addProperty(RDF.type, NNET.LAYER)
                    .addLiteral(NNET.HAS_INDEX, integer(l.index()))
                    .addProperty(NNET.HAS_TYPE, m.createResource(NNET.NS + l.type()));
            if (l.activation() != null) {
                layer.addProperty(NNET.HAS_ACTIVATION, m.createResource(NNET.NS + l.activation()));
            }
            ver.addProperty(l.index() == 0 ? NNET.INPUT_LAYER : l.index() == n - 1 ? NNET.OUTPUT_LAYER : NNET.MIDDLE_LAYER, layer);
        }
        for (String p : v.requiredProperties()) {
            ver.addProperty(TF.REQUIRES_PROPERTY, m.createResource(Iris.property(p)));
        }
        if (v.adaptedLoss() != null) {
            ver.addLiteral(TF.ADAPTED_LOSS, v.adaptedLoss().doubleValue());
            ver.addProperty(MLS.HAS_QUALITY, m.createResource(iri + "#adapted-loss").addProperty(RDF.type, MLS.MODEL_EVALUATION)
                    .addProperty(MLS.SPECIFIED_BY, TF.ADAPTED_LOSS).addLiteral(MLS.HAS_VALUE, v.adaptedLoss().doubleValue()));
        }
        return m;
    }

    public static Model round(RoundRecord r) {
        Model m = model();
        Resource round = m.createResource(r.iri()).addProperty(RDF.type, TF.FEDERATED_ROUND).addProperty(RDF.type, PROV.ACTIVITY)
                .addLiteral(TF.ROUND_NUMBER, integer(r.round()))
                .addProperty(PROV.USED, m.createResource(Iris.version(r.modelId(), r.baseVersion())))
                .addProperty(TF.STRATEGY, r.strategy())
                .addLiteral(TF.PARTICIPANT_COUNT, integer(r.participants().size()))
                .addLiteral(TF.INNER_STEPS, integer(r.innerSteps()))
                .addLiteral(TF.INNER_LEARNING_RATE, r.innerLearningRate())
                .addLiteral(TF.OUTER_STEP_SIZE, r.outerStepSize());
        if (r.started() != null) {
            round.addLiteral(PROV.STARTED_AT_TIME, dateTime(r.started()));
        }
        if (r.ended() != null) {
            round.addLiteral(PROV.ENDED_AT_TIME, dateTime(r.ended()));
        }
        for (String id : r.participants()) {
            round.addProperty(TF.PARTICIPANT, m.createResource(Iris.device(r.fleet(), id)));
        }
        if (r.producedVersion() != null) {
            m.createResource(Iris.version(r.modelId(), r.producedVersion())).addProperty(PROV.WAS_GENERATED_BY, round);
        }
        return m;
    }

    public static Model deployment(DeploymentRecord d) {
        Model m = model();
        Resource r = m.createResource(d.iri()).addProperty(RDF.type, TF.DEPLOYMENT).addProperty(RDF.type, PROV.ACTIVITY)
                .addProperty(TF.DEPLOYED_TO, m.createResource(Iris.device(d.fleet(), d.deviceId())))
                .addProperty(TF.DEPLOYED_VERSION, m.createResource(Iris.version(d.modelId(), d.version())))
                .addProperty(PROV.USED, m.createResource(Iris.version(d.modelId(), d.version())))
                .addProperty(PROV.WAS_INFORMED_BY, m.createResource(Iris.rollout(d.fleet(), d.rolloutId())))
                .addProperty(TF.ROLLOUT_ID, d.rolloutId())
                .addLiteral(TF.WAVE, integer(d.wave() + 1L))
                .addProperty(TF.DEPLOYMENT_STATE, d.state())
                .addLiteral(TF.PERSONALISED, d.personalised())
                .addLiteral(PROV.STARTED_AT_TIME, dateTime(d.startedAt()))
                .addLiteral(TF.STATUS_AT, dateTime(d.statusAt()));
        if (d.format() != null) {
            r.addProperty(TF.FORMAT, format(d.format()));
        }
        if (d.servingVersion() != null) {
            r.addProperty(TF.SERVING_VERSION, m.createResource(Iris.version(d.modelId(), d.servingVersion())));
        }
        if (!d.reason().isEmpty()) {
            r.addProperty(TF.REASON, d.reason());
        }
        if (d.candidateLoss() != null) {
            r.addLiteral(TF.SHADOW_LOSS, d.candidateLoss().doubleValue());
        }
        if (d.previousLoss() != null) {
            r.addLiteral(TF.PREVIOUS_LOSS, d.previousLoss().doubleValue());
        }
        return m;
    }

    /** A device's last refused deploy. */
    public static Model refusal(RefusalRecord r) {
        Model m = model();
        m.createResource(r.iri()).addProperty(RDF.type, TF.DEPLOY_REFUSAL)
                .addProperty(TF.REFUSED_BY, m.createResource(Iris.device(r.fleet(), r.deviceId())))
                .addProperty(TF.NAMED_ROLLOUT, r.namedRollout()).addProperty(TF.REASON, r.reason())
                .addLiteral(TF.REFUSED_AT, dateTime(r.at())).addLiteral(TF.REFUSAL_COUNT, integer(r.count()));
        return m;
    }

    /** A rollout as a {@code prov:Activity} that used the version it deploys. */
    public static Model rollout(RolloutRecord r) {
        Model m = model();
        Resource a = m.createResource(r.iri()).addProperty(RDF.type, TF.ROLLOUT).addProperty(RDF.type, PROV.ACTIVITY)
                .addProperty(TF.ROLLOUT_ID, r.rolloutId()).addProperty(TF.FLEET, r.fleet())
                .addProperty(PROV.USED, m.createResource(Iris.version(r.modelId(), r.version())))
                .addProperty(TF.ROLLOUT_PHASE, r.phase())
                .addLiteral(PROV.STARTED_AT_TIME, dateTime(r.started()));
        if (r.ended() != null) {
            a.addLiteral(PROV.ENDED_AT_TIME, dateTime(r.ended()));
        }
        if (!r.reason().isEmpty()) {
            a.addProperty(TF.REASON, r.reason());
        }
        return m;
    }

    /** {@code tf:F32}, {@code tf:S16}, ... for a format name; any other name becomes a {@code tf:} IRI the shapes refuse. */
    public static Resource format(String name) {
        return ResourceFactory.createResource(TF.NS + name);
    }

    public static Literal integer(long v) {
        return ResourceFactory.createTypedLiteral(BigInteger.valueOf(v).toString(), XSDDatatype.XSDinteger);
    }

    private static final TimeZone UTC = TimeZone.getTimeZone("UTC");

    public static Literal dateTime(Instant t) {
        Calendar c = new GregorianCalendar(UTC);
        c.setTimeInMillis(t.toEpochMilli());
        return ResourceFactory.createTypedLiteral(new XSDDateTime(c));
    }

    private static Resource memory(Model m, String iri, String label, long bytes) {
        return m.createResource(iri).addProperty(RDF.type, S3N.MEMORY).addProperty(RDFS.label, label)
                .addLiteral(SCHEMA.VALUE, integer(bytes)).addProperty(SCHEMA.UNIT_CODE, OM.BYTE);
    }

    private static void optional(Resource r, org.apache.jena.rdf.model.Property p, String v) {
        if (v != null && !v.isEmpty()) {
            r.addProperty(p, v);
        }
    }

    /** A graph to write: no prefixes, which a store does not keep per graph (a third of a device's description time). */
    private static Model model() {
        return ModelFactory.createDefaultModel();
    }
}
