/*
 * digipark_topics: a Mosquitto 2.0 plugin that authenticates digipark's devices and applies their topic rules,
 * and lets devices set up for ThingsBoard publish unchanged to a Mosquitto in front of digipark.
 *
 * Devices: digipark keeps only the SHA-256 digests of device tokens. `digipark mqtt acl` writes them to a file
 * (one line per device: `<64 hex digits> device|gateway`; `#` starts a comment), given to the plugin with
 *
 *   plugin_opt_devices_file /etc/mosquitto/digipark.devices
 *
 * A client whose user name (its token) hashes to a digest of the file is a device: it may connect (with no
 * password or the token again as password), publish only to its own topics (`digipark/v1/<token>/telemetry`,
 * its events `digipark/v1/<token>/events`, `v1/devices/me/telemetry`; a gateway also `v1/gateway/telemetry` and `digipark/v1/<token>/gateway/telemetry`)
 * and subscribe to and read only its downlink topics `digipark/v1/<token>/downlink/...`. Every other client is
 * left to the password file and ACL (the platform's own user). The file is read again when Mosquitto reloads its
 * configuration (SIGHUP). Without the option the plugin only moves topics (below).
 *
 * Topics: ThingsBoard devices publish to `v1/devices/me/telemetry` and gateways to `v1/gateway/telemetry`; who
 * sent the message is their MQTT user name (the device token). A broker does not pass a publisher's user name on
 * to subscribers, so the plugin moves each such message, as it arrives, to a topic naming the token:
 *
 *   v1/devices/me/telemetry  (user name T)  ->  digipark/v1/T/telemetry          (the native topic)
 *   v1/gateway/telemetry     (user name T)  ->  digipark/v1/T/gateway/telemetry
 *
 * Payloads are left as they are (digipark reads ThingsBoard's flat shape on every topic). A message on those
 * topics from a client without a user name, or with one that cannot be a topic level, is refused.
 *
 *   gcc -O2 -fPIC -shared -o digipark_topics.so digipark_topics.c -lcrypto
 *       (headers: Debian's mosquitto-dev and libssl-dev)
 *   plugin /usr/local/lib/digipark_topics.so                          (in mosquitto.conf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define DEVICE_TOPIC "v1/devices/me/telemetry"
#define GATEWAY_TOPIC "v1/gateway/telemetry"
#define MAX_TOKEN 64
#define DIGEST_HEX (2 * SHA256_DIGEST_LENGTH)
#define MAX_OWN_TOPIC (sizeof("digipark/v1//gateway/telemetry") + MAX_TOKEN)

struct device_entry {
	char digest[DIGEST_HEX + 1];
	int gateway;
};

static mosquitto_plugin_id_t *plugin_id = NULL;
static char *devices_file = NULL;
static struct device_entry *devices = NULL;
static size_t device_count = 0;

static int token_is_safe(const char *token)
{
	size_t length = strlen(token);
	if(length == 0 || length > MAX_TOKEN) return 0;
	return strpbrk(token, "/+#") == NULL;
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct device_entry *)a)->digest, ((const struct device_entry *)b)->digest);
}

static int is_digest(const char *text)
{
	for(int i = 0; i < DIGEST_HEX; i++){
		if(!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'))) return 0;
	}
	return 1;
}

/* Read the devices file into a sorted array; on failure the devices known before are kept. */
static int load_devices(void)
{
	FILE *file;
	char line[256];
	struct device_entry *loaded = NULL, *grown;
	size_t count = 0, capacity = 0;

	file = fopen(devices_file, "r");
	if(file == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "digipark_topics: cannot read devices file %s", devices_file);
		return MOSQ_ERR_UNKNOWN;
	}
	while(fgets(line, sizeof(line), file) != NULL){
		if(line[0] == '#' || line[0] == '\n' || line[0] == '\0') continue;
		if(strlen(line) < DIGEST_HEX + 1 || !is_digest(line) || line[DIGEST_HEX] != ' '){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "digipark_topics: skipped a line of %s", devices_file);
			continue;
		}
		if(count == capacity){
			capacity = capacity ? 2 * capacity : 256;
			grown = realloc(loaded, capacity * sizeof(*loaded));
			if(grown == NULL){
				free(loaded);
				fclose(file);
				return MOSQ_ERR_NOMEM;
			}
			loaded = grown;
		}
		memcpy(loaded[count].digest, line, DIGEST_HEX);
		loaded[count].digest[DIGEST_HEX] = '\0';
		loaded[count].gateway = !strncmp(line + DIGEST_HEX + 1, "gateway", strlen("gateway"));
		count++;
	}
	fclose(file);
	if(count > 1) qsort(loaded, count, sizeof(*loaded), compare_entries);
	free(devices);
	devices = loaded;
	device_count = count;
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "digipark_topics: %zu devices from %s", count, devices_file);
	return MOSQ_ERR_SUCCESS;
}

/* The device whose token is this user name, or NULL. */
static const struct device_entry *device_of(const char *username)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	struct device_entry key;

	if(username == NULL || device_count == 0 || !token_is_safe(username)) return NULL;
	SHA256((const unsigned char *)username, strlen(username), digest);
	for(int i = 0; i < SHA256_DIGEST_LENGTH; i++){
		snprintf(key.digest + 2 * i, 3, "%02x", digest[i]);
	}
	return bsearch(&key, devices, device_count, sizeof(*devices), compare_entries);
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *auth = event_data;
	(void)event;
	(void)userdata;

	if(device_of(auth->username) == NULL) return MOSQ_ERR_PLUGIN_DEFER;
	if(auth->password != NULL && strcmp(auth->password, auth->username) != 0) return MOSQ_ERR_AUTH;
	return MOSQ_ERR_SUCCESS;
}

static int may_publish(const char *token, int gateway, const char *topic)
{
	char own[MAX_OWN_TOPIC];

	if(!strcmp(topic, DEVICE_TOPIC)) return 1;
	snprintf(own, sizeof(own), "digipark/v1/%s/telemetry", token);
	if(!strcmp(topic, own)) return 1;
	snprintf(own, sizeof(own), "digipark/v1/%s/events", token);
	if(!strcmp(topic, own)) return 1;
	if(!gateway) return 0;
	if(!strcmp(topic, GATEWAY_TOPIC)) return 1;
	snprintf(own, sizeof(own), "digipark/v1/%s/gateway/telemetry", token);
	return !strcmp(topic, own);
}

/* A topic (or a filter) within digipark/v1/<token>/downlink/: the prefix has no wildcard, being the token's. */
static int is_downlink(const char *token, const char *topic)
{
	char prefix[MAX_OWN_TOPIC];
	size_t length;

	snprintf(prefix, sizeof(prefix), "digipark/v1/%s/downlink/", token);
	length = strlen(prefix);
	return !strncmp(topic, prefix, length) || (!strncmp(topic, prefix, length - 1) && topic[length - 1] == '\0');
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *check = event_data;
	const char *username = mosquitto_client_username(check->client);
	const struct device_entry *device = device_of(username);
	(void)event;
	(void)userdata;

	if(device == NULL) return MOSQ_ERR_PLUGIN_DEFER;
	switch(check->access){
		case MOSQ_ACL_WRITE:
			return may_publish(username, device->gateway, check->topic) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
		case MOSQ_ACL_READ:
		case MOSQ_ACL_SUBSCRIBE:
			return is_downlink(username, check->topic) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
		case MOSQ_ACL_UNSUBSCRIBE:
			return MOSQ_ERR_SUCCESS;
		default:
			return MOSQ_ERR_ACL_DENIED;
	}
}

static int on_reload(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)event_data;
	(void)userdata;
	load_devices();
	return MOSQ_ERR_SUCCESS;
}

static int on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *message = event_data;
	const char *suffix;
	const char *token;
	char topic[MAX_OWN_TOPIC];
	char *moved;
	(void)event;
	(void)userdata;

	if(!strcmp(message->topic, DEVICE_TOPIC)){
		suffix = "telemetry";
	}else if(!strcmp(message->topic, GATEWAY_TOPIC)){
		suffix = "gateway/telemetry";
	}else{
		return MOSQ_ERR_SUCCESS;
	}
	token = mosquitto_client_username(message->client);
	if(token == NULL || !token_is_safe(token)){
		return MOSQ_ERR_ACL_DENIED;
	}
	snprintf(topic, sizeof(topic), "digipark/v1/%s/%s", token, suffix);
	moved = mosquitto_strdup(topic);
	if(moved == NULL){
		return MOSQ_ERR_NOMEM;
	}
	mosquitto_free(message->topic);
	message->topic = moved;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for(int i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == 5) return 5;
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **user_data, struct mosquitto_opt *opts, int opt_count)
{
	int rc;
	(void)user_data;

	plugin_id = identifier;
	for(int i = 0; i < opt_count; i++){
		if(!strcmp(opts[i].key, "devices_file")){
			devices_file = mosquitto_strdup(opts[i].value);
			if(devices_file == NULL) return MOSQ_ERR_NOMEM;
		}
	}
	if(devices_file != NULL){
		rc = load_devices();
		if(rc != MOSQ_ERR_SUCCESS) return rc;
		if((rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL))) return rc;
		if((rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL))) return rc;
		if((rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_RELOAD, on_reload, NULL, NULL))) return rc;
	}
	return mosquitto_callback_register(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *user_data, struct mosquitto_opt *opts, int opt_count)
{
	(void)user_data;
	(void)opts;
	(void)opt_count;
	if(devices_file != NULL){
		mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
		mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
		mosquitto_callback_unregister(plugin_id, MOSQ_EVT_RELOAD, on_reload, NULL);
		mosquitto_free(devices_file);
		devices_file = NULL;
	}
	free(devices);
	devices = NULL;
	device_count = 0;
	return mosquitto_callback_unregister(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL);
}
