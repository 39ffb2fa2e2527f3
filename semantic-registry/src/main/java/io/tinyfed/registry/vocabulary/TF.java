package io.tinyfed.registry.vocabulary;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** TinyFed's own vocabulary ({@code tf:}); the Turtle with labels and comments is {@code io/tinyfed/registry/tinyfed.ttl}. */
public final class TF {
    public static final String NS = "https://tinyfed.io/ns#";

    public static final Resource DEVICE = ResourceFactory.createResource(NS + "Device");
    public static final Resource MODEL = ResourceFactory.createResource(NS + "Model");
    public static final Resource MODEL_VERSION = ResourceFactory.createResource(NS + "ModelVersion");
    public static final Resource RESOURCE_REQUIREMENT = ResourceFactory.createResource(NS + "ResourceRequirement");
    public static final Resource NUMBER_FORMAT = ResourceFactory.createResource(NS + "NumberFormat");
    public static final Resource FEDERATED_ROUND = ResourceFactory.createResource(NS + "FederatedRound");
    public static final Resource DEPLOYMENT = ResourceFactory.createResource(NS + "Deployment");
    public static final Resource F32 = ResourceFactory.createResource(NS + "F32");
    public static final Resource S16 = ResourceFactory.createResource(NS + "S16");
    public static final Resource S8 = ResourceFactory.createResource(NS + "S8");
    public static final Property DEVICE_ID = ResourceFactory.createProperty(NS + "deviceId");
    public static final Property FLEET = ResourceFactory.createProperty(NS + "fleet");
    public static final Property RAM_BYTES = ResourceFactory.createProperty(NS + "ramBytes");
    public static final Property FLASH_BYTES = ResourceFactory.createProperty(NS + "flashBytes");
    public static final Property SUPPORTS_FORMAT = ResourceFactory.createProperty(NS + "supportsFormat");
    public static final Property SENSES = ResourceFactory.createProperty(NS + "senses");
    public static final Property ONLINE = ResourceFactory.createProperty(NS + "online");
    public static final Property LAST_SEEN = ResourceFactory.createProperty(NS + "lastSeen");
    public static final Property CLOCK_MHZ = ResourceFactory.createProperty(NS + "clockMhz");
    public static final Property RUNTIME_VERSION = ResourceFactory.createProperty(NS + "runtimeVersion");
    public static final Property FIRMWARE_VERSION = ResourceFactory.createProperty(NS + "firmwareVersion");
    public static final Property ATTACHED_VIA = ResourceFactory.createProperty(NS + "attachedVia");
    public static final Property MODEL_ID = ResourceFactory.createProperty(NS + "modelId");
    public static final Property VERSION_OF = ResourceFactory.createProperty(NS + "versionOf");
    public static final Property VERSION_NUMBER = ResourceFactory.createProperty(NS + "versionNumber");
    public static final Property PARAMETER_COUNT = ResourceFactory.createProperty(NS + "parameterCount");
    public static final Property ARCHITECTURE = ResourceFactory.createProperty(NS + "architecture");
    public static final Property TRAINABLE_LAYERS = ResourceFactory.createProperty(NS + "trainableLayers");
    public static final Property REQUIREMENT = ResourceFactory.createProperty(NS + "requirement");
    public static final Property FORMAT = ResourceFactory.createProperty(NS + "format");
    public static final Property INFERENCE_ARENA_BYTES = ResourceFactory.createProperty(NS + "inferenceArenaBytes");
    public static final Property TRAINING_ARENA_BYTES = ResourceFactory.createProperty(NS + "trainingArenaBytes");
    public static final Property ESTIMATED = ResourceFactory.createProperty(NS + "estimated");
    public static final Property REQUIRES_PROPERTY = ResourceFactory.createProperty(NS + "requiresProperty");
    public static final Property FILE_BYTES = ResourceFactory.createProperty(NS + "fileBytes");
    public static final Property IMPORTED_FROM = ResourceFactory.createProperty(NS + "importedFrom");
    public static final Property ROUND_NUMBER = ResourceFactory.createProperty(NS + "roundNumber");
    public static final Property STRATEGY = ResourceFactory.createProperty(NS + "strategy");
    public static final Property PARTICIPANT = ResourceFactory.createProperty(NS + "participant");
    public static final Property PARTICIPANT_COUNT = ResourceFactory.createProperty(NS + "participantCount");
    public static final Property INNER_STEPS = ResourceFactory.createProperty(NS + "innerSteps");
    public static final Property INNER_LEARNING_RATE = ResourceFactory.createProperty(NS + "innerLearningRate");
    public static final Property OUTER_STEP_SIZE = ResourceFactory.createProperty(NS + "outerStepSize");
    public static final Property ADAPTED_LOSS = ResourceFactory.createProperty(NS + "adaptedLoss");
    public static final Property DEPLOYED_TO = ResourceFactory.createProperty(NS + "deployedTo");
    public static final Property DEPLOYED_VERSION = ResourceFactory.createProperty(NS + "deployedVersion");
    public static final Resource ROLLOUT = ResourceFactory.createResource(NS + "Rollout");
    public static final Property SERVING_VERSION = ResourceFactory.createProperty(NS + "servingVersion");
    public static final Property DEPLOYMENT_STATE = ResourceFactory.createProperty(NS + "deploymentState");
    public static final Property STATUS_AT = ResourceFactory.createProperty(NS + "statusAt");
    public static final Property WAVE = ResourceFactory.createProperty(NS + "wave");
    public static final Property ROLLOUT_ID = ResourceFactory.createProperty(NS + "rolloutId");
    public static final Property ROLLOUT_PHASE = ResourceFactory.createProperty(NS + "rolloutPhase");
    public static final Property REASON = ResourceFactory.createProperty(NS + "reason");
    public static final Property SHADOW_LOSS = ResourceFactory.createProperty(NS + "shadowLoss");
    public static final Property PREVIOUS_LOSS = ResourceFactory.createProperty(NS + "previousLoss");
    public static final Property PERSONALISED = ResourceFactory.createProperty(NS + "personalised");
    public static final Resource DEPLOY_REFUSAL = ResourceFactory.createResource(NS + "DeployRefusal");
    public static final Property REFUSED_BY = ResourceFactory.createProperty(NS + "refusedBy");
    public static final Property NAMED_ROLLOUT = ResourceFactory.createProperty(NS + "namedRollout");
    public static final Property REFUSED_AT = ResourceFactory.createProperty(NS + "refusedAt");
    public static final Property REFUSAL_COUNT = ResourceFactory.createProperty(NS + "refusalCount");
    public static final Resource IMPORT = ResourceFactory.createResource(NS + "Import");
    public static final Property CONTENT_SHA256 = ResourceFactory.createProperty(NS + "contentSha256");

    private TF() {
    }
}
