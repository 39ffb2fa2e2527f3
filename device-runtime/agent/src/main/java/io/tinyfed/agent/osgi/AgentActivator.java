package io.tinyfed.agent.osgi;

import io.tinyfed.agent.Agent;
import io.tinyfed.agent.AgentMain;
import java.nio.file.Path;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * Runs a TinyFed agent as an OSGi bundle (Eclipse Equinox, the framework Eclipse Kura gateways run): starting the
 * bundle starts the device configured by the file named by the framework property {@value #CONFIG} (the same keys
 * as {@code tinyfed agent --config}, e.g. {@code /etc/tinyfed/agent/dev-1.conf}); stopping it announces the device
 * offline and disconnects. The agent connects in its own thread, retrying while the broker is unreachable, so the
 * framework's start does not wait for the network.
 */
public final class AgentActivator implements BundleActivator {
    /** The framework property naming the agent's configuration file. */
    public static final String CONFIG = "tinyfed.agent.config";
    private static final System.Logger LOG = System.getLogger(AgentActivator.class.getName());

    private Agent agent;
    private Thread starter;

    @Override
    public synchronized void start(BundleContext context) throws Exception {
        String file = context.getProperty(CONFIG);
        if (file == null || file.isBlank()) {
            throw new BundleException("set the framework property " + CONFIG + " to the agent's configuration file "
                    + "(the options of tinyfed agent as keys, e.g. /etc/tinyfed/agent/dev-1.conf)");
        }
        Agent configured;
        try {
            configured = AgentMain.configured(Path.of(file));
        } catch (IllegalArgumentException e) {
            throw new BundleException(e.getMessage(), BundleException.ACTIVATOR_ERROR);
        }
        agent = configured;
        String id = configured.settings().deviceId();
        starter = new Thread(() -> {
            try {
                configured.startWhenReachable(message -> LOG.log(System.Logger.Level.WARNING, "agent {0}: {1}", id, message));
                LOG.log(System.Logger.Level.INFO, "agent {0} of fleet {1} started in bundle {2}", id,
                        configured.settings().fleet(), context.getBundle().getSymbolicName());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.ERROR, "agent " + id + " could not start: " + e.getMessage(), e);
            }
        }, "tinyfed-agent-" + id + "-start");
        starter.setDaemon(true);
        starter.start();
    }

    @Override
    public synchronized void stop(BundleContext context) throws Exception {
        if (starter != null) {
            starter.interrupt();
            starter.join(10_000);
        }
        if (agent != null) {
            agent.close();
        }
        agent = null;
        starter = null;
    }
}
