import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local reachable from this machine only. Its jar has no option for the address to listen on: it builds a
 * Jetty server with {@code new Server(port)}, which listens on every interface, so anyone on the network could read
 * and write the tables. This builds the same server from the same arguments, moves its connector to 127.0.0.1
 * before it opens, and starts it. Run with the jar on the class path in source-file mode (java File.java ...).
 * If a new jar renames what this reaches into, it fails at start rather than listening everywhere.
 */
public final class LoopbackDynamoDbLocal {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost("127.0.0.1");
        }

        proxy.start();
    }
}
