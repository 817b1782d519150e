/* mock_cluster: runs librdkafka's built-in mock Kafka cluster (rdkafka_mock.h) on loopback as a
 * stand-alone third-party broker for kz's client tests.
 *
 *   mock_cluster [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * Prints "BOOTSTRAP host:port,..." on stdout once the brokers listen, then serves until stdin
 * closes or SIGTERM/SIGINT arrives. Topics not created here are auto-created by the mock on first
 * use (with its default partition count). Exit code 0, 2 for bad arguments, 1 if the mock fails.
 *
 * Build: cc -O1 -o mock_cluster mock_cluster.c $(pkg-config --cflags --libs rdkafka)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int usage(const char *why) {
  fprintf(stderr, "mock_cluster: %s\nusage: mock_cluster [--brokers N] [--topic NAME:PARTITIONS]...\n", why);
  return 2;
}

int main(int argc, char **argv) {
  int brokers = 1;
  const char *topics[64];
  int topic_count = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
      char *end = NULL;
      long n = strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 1 || n > 16) return usage("--brokers: expected 1..16");
      brokers = (int)n;
    } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
      if (topic_count == 64) return usage("at most 64 --topic flags");
      topics[topic_count++] = argv[++i];
    } else {
      return usage("unknown argument");
    }
  }

  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only hosts the mock cluster's thread; keep it quiet. */
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "mock_cluster: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == NULL) {
    fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  for (int i = 0; i < topic_count; i++) {
    char name[256];
    const char *colon = strrchr(topics[i], ':');
    if (colon == NULL || colon == topics[i] || (size_t)(colon - topics[i]) >= sizeof(name)) {
      return usage("--topic: expected NAME:PARTITIONS");
    }
    memcpy(name, topics[i], (size_t)(colon - topics[i]));
    name[colon - topics[i]] = '\0';
    char *end = NULL;
    long parts = strtol(colon + 1, &end, 10);
    if (*end != '\0' || parts < 1 || parts > 1000) return usage("--topic: partitions must be 1..1000");
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, (int)parts, brokers < 3 ? brokers : 3);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "mock_cluster: create topic %s: %s\n", name, rd_kafka_err2str(err));
      return 1;
    }
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  while (!stop_requested) {
    struct pollfd p = {0, POLLIN, 0};
    int n = poll(&p, 1, 200);
    if (n < 0 && errno != EINTR) break;
    if (n > 0) {
      char buf[256];
      ssize_t got = read(0, buf, sizeof(buf));
      if (got <= 0) break; /* stdin closed */
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
