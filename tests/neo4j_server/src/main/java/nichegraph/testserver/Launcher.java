package nichegraph.testserver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs a real Neo4j Community (embedded, Bolt on 127.0.0.1 only) for nichegraph's tests.
 *
 * <p>Usage: {@code java -Xmx1g -cp target/classes:target/lib/* nichegraph.testserver.Launcher
 * [--home DIR] [--port N] [--pagecache 256m] [--conf name=value ...]}.  Port 0 (default) picks a free port.  When Bolt
 * accepts connections it prints one line {@code BOLT bolt://127.0.0.1:PORT}.  It stops cleanly when
 * its standard input reaches end of file or reads a line {@code stop} (so it never outlives the
 * test process that started it), or on SIGTERM.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        int port = 0;
        String pagecache = "256m";
        Map<String, String> extra = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--home" -> home = Path.of(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--pagecache" -> pagecache = args[++i];
                case "--conf" -> {
                    String[] kv = args[++i].split("=", 2);
                    if (kv.length != 2 || kv[0].startsWith("server.bolt") || kv[0].startsWith("server.default")) {
                        System.err.println("--conf wants name=value (not the listen settings): " + args[i]);
                        System.exit(2);
                    }
                    extra.put(kv[0], kv[1]);
                }
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (home == null) {
            home = Files.createTempDirectory("nichegraph-neo4j-");
        }
        if (port == 0) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
        }
        Map<String, String> cfg = new HashMap<>();
        cfg.put("server.bolt.enabled", "true");
        cfg.put("server.bolt.listen_address", "127.0.0.1:" + port);
        cfg.put("server.bolt.advertised_address", "127.0.0.1:" + port);
        cfg.put("server.bolt.tls_level", "DISABLED");
        cfg.put("server.default_listen_address", "127.0.0.1");
        cfg.put("dbms.security.auth_enabled", "false");
        cfg.put("server.memory.pagecache.size", pagecache);
        cfg.put("dbms.usage_report.enabled", "false");
        cfg.put("db.tx_log.rotation.retention_policy", "2 files");
        cfg.put("server.threads.worker_count", "4");
        cfg.putAll(extra);

        Files.createDirectories(home);
        Path conf = home.resolve("nichegraph-test-neo4j.conf");
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, String> e : cfg.entrySet()) {
            text.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        Files.writeString(conf, text.toString(), StandardCharsets.UTF_8);
        final DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(conf)
                .build();
        final Object lock = new Object();
        final boolean[] stopped = {false};
        Runnable stop = () -> {
            synchronized (lock) {
                if (!stopped[0]) {
                    stopped[0] = true;
                    dbms.shutdown();
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "neo4j-shutdown"));
        // make sure the default database is up before announcing readiness
        dbms.database("neo4j").executeTransactionally("RETURN 1");
        System.out.println("BOLT bolt://127.0.0.1:" + port);
        System.out.println("HOME " + home);
        System.out.flush();

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        try {
            while ((line = in.readLine()) != null) {
                if (line.trim().equals("stop")) {
                    break;
                }
            }
        } catch (IOException ignored) {
            // parent went away: stop as well
        }
        stop.run();
        System.out.println("STOPPED");
        System.out.flush();
        System.exit(0);
    }
}
