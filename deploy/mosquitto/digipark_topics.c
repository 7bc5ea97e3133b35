/*
 * digipark_topics: a Mosquitto 2.0 plugin that authenticates digipark's devices and applies their topic rules,
 * lets devices set up for ThingsBoard publish unchanged to a Mosquitto in front of digipark, and carries the
 * platform's downlink (commands, shared attributes, MQTT provisioning) to the one client it is for.
 *
 * Devices: digipark keeps only the SHA-256 digests of device tokens. `digipark mqtt acl` writes them to a file
 * (one line per device: `<64 hex digits> device|gateway`; `#` starts a comment), given to the plugin with
 *
 *   plugin_opt_devices_file /etc/mosquitto/digipark.devices
 *
 * A client whose user name (its token) hashes to a digest of the file is a device: it may connect (with no
 * password or the token again as password), publish only to its own topics (`digipark/v1/<token>/telemetry`,
 * its events `digipark/v1/<token>/events`, `v1/devices/me/telemetry`; a gateway also `v1/gateway/telemetry` and
 * `digipark/v1/<token>/gateway/telemetry`; its answers `digipark/v1/<token>/reply/<id>`,
 * `v1/devices/me/rpc/response/<id>`, `v1/devices/me/attributes/request/<id>`), subscribe only to its downlink
 * `digipark/v1/<token>/downlink/...`, `v1/devices/me/rpc/request/+`, `v1/devices/me/attributes` and
 * `v1/devices/me/attributes/response/+`, and read by subscription only its native downlink. Every other client
 * is left to the password file and ACL (the platform's own user). The file is read again when Mosquitto reloads
 * its configuration (SIGHUP). Without the option the plugin only moves ThingsBoard telemetry (below).
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
 * Downlink (with the devices file): the platform knows a device by its token's digest D only, and publishes, as
 * it does to its embedded broker, on
 *
 *   digipark/d/D/downlink/<rest>             ->  digipark/v1/<token>/downlink/<rest>   (native devices)
 *   digipark/d/D/rpc/request/<id>            ->  v1/devices/me/rpc/request/<id>        (ThingsBoard RPC)
 *   digipark/d/D/attributes                  ->  v1/devices/me/attributes              (shared attributes)
 *   digipark/d/D/attributes/response/<id>    ->  v1/devices/me/attributes/response/<id>
 *   digipark/provision/N/response            ->  /provision/response                   (provisioning connection N)
 *
 * The plugin keeps the connected devices (digest -> client id and token) and provisioning connections (random
 * name N -> client id) and hands each such message, as it arrives, to the connected clients it names only
 * (`mosquitto_broker_publish_copy` with their client id: queued to that client alone, not matched against
 * anyone's subscriptions). The ThingsBoard names and `/provision/response` are never readable through an
 * ordinary subscription: a message published on them by anyone reaches nobody. The original message stays on its
 * platform name, which only the platform's user may read. Mosquitto 2.0 cannot do it the other way round (deliver
 * one message under a different name per subscriber, or see a message's properties in the read check: its
 * MOSQ_EVT_ACL_CHECK has `properties = NULL`). A device's answers move the other way as they arrive:
 *
 *   digipark/v1/<token>/reply/<id>, v1/devices/me/rpc/response/<id>  ->  digipark/d/D/reply/<id>, .../rpc/response/<id>
 *   v1/devices/me/attributes/request/<id>                            ->  digipark/d/D/attributes/request/<id>
 *   /provision/request  (a `provision` connection N)                 ->  digipark/provision/N/request
 *
 * A device subscribing to its shared attributes (`v1/devices/me/attributes`, or a native filter covering
 * `digipark/v1/<token>/downlink/attributes`) makes the plugin publish `digipark/d/D/attributes/wanted`, on which
 * the platform sends it all of them. A client with the user name `provision` (any password; refused with
 * `plugin_opt_provisioning false`) may only publish `/provision/request` and subscribe to `/provision/response`.
 * A client id held by a device's or a provisioning connection is refused to any other identity (no take-over).
 *
 *   gcc -O2 -fPIC -shared -o digipark_topics.so digipark_topics.c -lcrypto
 *       (headers: Debian's mosquitto-dev and libssl-dev)
 *   plugin /usr/local/lib/digipark_topics.so                          (in mosquitto.conf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define DEVICE_TOPIC "v1/devices/me/telemetry"
#define GATEWAY_TOPIC "v1/gateway/telemetry"
#define TB_RPC_REQUEST "v1/devices/me/rpc/request/"
#define TB_RPC_RESPONSE "v1/devices/me/rpc/response/"
#define TB_ATTRIBUTES "v1/devices/me/attributes"
#define TB_ATTRIBUTES_REQUEST "v1/devices/me/attributes/request/"
#define TB_ATTRIBUTES_RESPONSE "v1/devices/me/attributes/response/"
#define PLATFORM_ROOT "digipark/d/"
#define PROVISION_ROOT "digipark/provision/"
#define PROVISION_USER "provision"
#define PROVISION_REQUEST "/provision/request"
#define PROVISION_RESPONSE "/provision/response"
#define MAX_TOKEN 64
#define DIGEST_HEX (2 * SHA256_DIGEST_LENGTH)
#define NAME_BYTES 12
#define MAX_OWN_TOPIC (sizeof("digipark/v1//gateway/telemetry") + MAX_TOKEN)
#define BUCKETS 4096

struct device_entry {
	char digest[DIGEST_HEX + 1];
	int gateway;
};

/* A connected device (token set) or provisioning connection (token NULL; key is its random name). */
struct connection {
	struct connection *next_by_key;
	struct connection *next_by_id;
	const struct mosquitto *client;
	char *client_id;
	char *token;
	char key[DIGEST_HEX + 1];
};

static mosquitto_plugin_id_t *plugin_id = NULL;
static char *devices_file = NULL;
static struct device_entry *devices = NULL;
static size_t device_count = 0;
static int provisioning = 1;
static struct connection *by_key[BUCKETS];
static struct connection *by_id[BUCKETS];

static int token_is_safe(const char *token)
{
	size_t length = strlen(token);
	if(length == 0 || length > MAX_TOKEN) return 0;
	return strpbrk(token, "/+#") == NULL;
}

/* One topic level: not empty, no separator, no wildcard. */
static int is_one_level(const char *text)
{
	return text[0] != '\0' && strpbrk(text, "/+#") == NULL;
}

/* The rest of `topic` after `prefix`, or NULL when it does not start with it. */
static const char *after(const char *topic, const char *prefix)
{
	size_t length = strlen(prefix);
	return strncmp(topic, prefix, length) ? NULL : topic + length;
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

static const struct device_entry *device_by_digest(const char *digest)
{
	struct device_entry key;

	if(device_count == 0 || strlen(digest) != DIGEST_HEX) return NULL;
	memcpy(key.digest, digest, DIGEST_HEX + 1);
	return bsearch(&key, devices, device_count, sizeof(*devices), compare_entries);
}

/* The device whose token is this user name, or NULL. */
static const struct device_entry *device_of(const char *username)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char hex[DIGEST_HEX + 1];

	if(username == NULL || device_count == 0 || !token_is_safe(username)) return NULL;
	SHA256((const unsigned char *)username, strlen(username), digest);
	for(int i = 0; i < SHA256_DIGEST_LENGTH; i++){
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	}
	return device_by_digest(hex);
}

static int is_provisioning(const char *username)
{
	return provisioning && username != NULL && !strcmp(username, PROVISION_USER);
}

/* ------------------------------------------------------------------------------------------------------------
 * connected devices and provisioning connections
 * ---------------------------------------------------------------------------------------------------------- */
static unsigned bucket_of(const char *text)
{
	unsigned hash = 2166136261u; /* FNV-1a */
	for(; *text; text++){
		hash = (hash ^ (unsigned char)*text) * 16777619u;
	}
	return hash & (BUCKETS - 1);
}

static void connection_free(struct connection *connection)
{
	mosquitto_free(connection->client_id);
	mosquitto_free(connection->token);
	mosquitto_free(connection);
}

/* Unlink `connection` from its key's chain. */
static void unlink_by_key(struct connection *connection)
{
	struct connection **link = &by_key[bucket_of(connection->key)];
	while(*link != NULL && *link != connection) link = &(*link)->next_by_key;
	if(*link != NULL) *link = connection->next_by_key;
}

/* Take out the entry of this client id matching `client` (any client when NULL) and `key` (any key when NULL). */
static void connection_remove(const char *client_id, const struct mosquitto *client, const char *key)
{
	struct connection **link = &by_id[bucket_of(client_id)];
	struct connection *found;

	while(*link != NULL){
		found = *link;
		if(!strcmp(found->client_id, client_id) && (client == NULL || found->client == client)
				&& (key == NULL || !strcmp(found->key, key))){
			*link = found->next_by_id;
			unlink_by_key(found);
			connection_free(found);
			return;
		}
		link = &found->next_by_id;
	}
}

static const struct connection *connection_of(const struct mosquitto *client)
{
	const char *client_id = mosquitto_client_id(client);
	const struct connection *found;

	if(client_id == NULL) return NULL;
	for(found = by_id[bucket_of(client_id)]; found != NULL; found = found->next_by_id){
		if(found->client == client) return found;
	}
	return NULL;
}

/* Whether this client id is held by a connection of another identity than `key` (NULL: of any identity). */
static int id_held_by_another(const char *client_id, const char *key)
{
	const struct connection *found;

	for(found = by_id[bucket_of(client_id)]; found != NULL; found = found->next_by_id){
		if(!strcmp(found->client_id, client_id) && (key == NULL || strcmp(found->key, key))) return 1;
	}
	return 0;
}

static int connection_add(const struct mosquitto *client, const char *client_id, const char *key, const char *token)
{
	struct connection *connection;
	unsigned id_bucket = bucket_of(client_id), key_bucket = bucket_of(key);

	connection_remove(client_id, NULL, key); /* the same device connecting again takes its session over */
	connection = mosquitto_calloc(1, sizeof(*connection));
	if(connection == NULL) return MOSQ_ERR_NOMEM;
	connection->client = client;
	connection->client_id = mosquitto_strdup(client_id);
	connection->token = token != NULL ? mosquitto_strdup(token) : NULL;
	if(connection->client_id == NULL || (token != NULL && connection->token == NULL)){
		connection_free(connection);
		return MOSQ_ERR_NOMEM;
	}
	memcpy(connection->key, key, strlen(key) + 1);
	connection->next_by_id = by_id[id_bucket];
	by_id[id_bucket] = connection;
	connection->next_by_key = by_key[key_bucket];
	by_key[key_bucket] = connection;
	return MOSQ_ERR_SUCCESS;
}

static void connections_clear(void)
{
	struct connection *connection, *next;

	for(int i = 0; i < BUCKETS; i++){
		for(connection = by_id[i]; connection != NULL; connection = next){
			next = connection->next_by_id;
			connection_free(connection);
		}
		by_id[i] = NULL;
		by_key[i] = NULL;
	}
}

static int random_name(char name[DIGEST_HEX + 1])
{
	unsigned char bytes[NAME_BYTES];

	if(RAND_bytes(bytes, sizeof(bytes)) != 1) return MOSQ_ERR_UNKNOWN;
	for(int i = 0; i < NAME_BYTES; i++){
		snprintf(name + 2 * i, 3, "%02x", bytes[i]);
	}
	return MOSQ_ERR_SUCCESS;
}

/* ------------------------------------------------------------------------------------------------------------
 * events
 * ---------------------------------------------------------------------------------------------------------- */
static int on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *auth = event_data;
	const char *client_id = mosquitto_client_id(auth->client);
	const struct device_entry *device;
	char name[DIGEST_HEX + 1];
	(void)event;
	(void)userdata;

	if(client_id == NULL) return MOSQ_ERR_AUTH;
	if(is_provisioning(auth->username)){
		if(id_held_by_another(client_id, NULL) || random_name(name) != MOSQ_ERR_SUCCESS) return MOSQ_ERR_AUTH;
		return connection_add(auth->client, client_id, name, NULL) == MOSQ_ERR_SUCCESS ? MOSQ_ERR_SUCCESS : MOSQ_ERR_AUTH;
	}
	device = device_of(auth->username);
	if(device == NULL) return id_held_by_another(client_id, NULL) ? MOSQ_ERR_AUTH : MOSQ_ERR_PLUGIN_DEFER;
	if(auth->password != NULL && strcmp(auth->password, auth->username) != 0) return MOSQ_ERR_AUTH;
	if(id_held_by_another(client_id, device->digest)) return MOSQ_ERR_AUTH;
	return connection_add(auth->client, client_id, device->digest, auth->username) == MOSQ_ERR_SUCCESS
		? MOSQ_ERR_SUCCESS : MOSQ_ERR_AUTH;
}

static int on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *gone = event_data;
	const char *client_id = mosquitto_client_id(gone->client);
	(void)event;
	(void)userdata;

	if(client_id != NULL) connection_remove(client_id, gone->client, NULL);
	return MOSQ_ERR_SUCCESS;
}

/* `topic` is `<prefix><one level>` with prefix `format` filled with the token. */
static int is_own_answer(const char *format, const char *token, const char *topic)
{
	char prefix[MAX_OWN_TOPIC];
	const char *rest;

	snprintf(prefix, sizeof(prefix), format, token);
	rest = after(topic, prefix);
	return rest != NULL && is_one_level(rest);
}

static int may_publish(const char *token, int gateway, const char *topic)
{
	char own[MAX_OWN_TOPIC];
	const char *rest;

	if(!strcmp(topic, DEVICE_TOPIC)) return 1;
	if((rest = after(topic, TB_RPC_RESPONSE)) != NULL || (rest = after(topic, TB_ATTRIBUTES_REQUEST)) != NULL){
		return is_one_level(rest);
	}
	if(is_own_answer("digipark/v1/%s/reply/", token, topic)) return 1;
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

/* A device subscribing to the topic its shared attributes come on: tell the platform, which sends them all. */
static void notice_attributes_wanted(const char *token, const char *digest, const char *filter)
{
	char topic[MAX_OWN_TOPIC + DIGEST_HEX];
	bool covered = false;

	if(strcmp(filter, TB_ATTRIBUTES) != 0){
		snprintf(topic, sizeof(topic), "digipark/v1/%s/downlink/attributes", token);
		if(mosquitto_topic_matches_sub(filter, topic, &covered) != MOSQ_ERR_SUCCESS || !covered) return;
	}
	snprintf(topic, sizeof(topic), PLATFORM_ROOT "%s/attributes/wanted", digest);
	mosquitto_broker_publish_copy(NULL, topic, 0, "", 1, false, NULL);
}

static int device_may_subscribe(const char *token, const struct device_entry *device, const char *filter)
{
	if(strcmp(filter, TB_RPC_REQUEST "+") && strcmp(filter, TB_ATTRIBUTES_RESPONSE "+") && strcmp(filter, TB_ATTRIBUTES)
			&& !is_downlink(token, filter)){
		return 0;
	}
	notice_attributes_wanted(token, device->digest, filter);
	return 1;
}

static int provision_acl(const struct mosquitto_evt_acl_check *check)
{
	switch(check->access){
		case MOSQ_ACL_WRITE:
			return strcmp(check->topic, PROVISION_REQUEST) ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
		case MOSQ_ACL_SUBSCRIBE:
			return strcmp(check->topic, PROVISION_RESPONSE) ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
		case MOSQ_ACL_UNSUBSCRIBE:
			return MOSQ_ERR_SUCCESS;
		default: /* reading: its answer comes to it alone, never through a subscription */
			return MOSQ_ERR_ACL_DENIED;
	}
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *check = event_data;
	const char *username = mosquitto_client_username(check->client);
	const struct device_entry *device;
	(void)event;
	(void)userdata;

	if(is_provisioning(username)) return provision_acl(check);
	device = device_of(username);
	if(device == NULL) return MOSQ_ERR_PLUGIN_DEFER;
	switch(check->access){
		case MOSQ_ACL_WRITE:
			return may_publish(username, device->gateway, check->topic) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
		case MOSQ_ACL_SUBSCRIBE:
			return device_may_subscribe(username, device, check->topic) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
		case MOSQ_ACL_READ: /* the ThingsBoard names come only to the device they are for (deliver_downlink) */
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

/* Hand a message to one client under `prefix` + `rest` (`rest` may be NULL); `format` may name the token. */
static void deliver(const struct connection *to, const char *format, const char *rest, const struct mosquitto_evt_message *message)
{
	size_t length = strlen(format) + (to->token ? strlen(to->token) : 0) + (rest ? strlen(rest) : 0) + 1;
	char *topic = mosquitto_malloc(length);
	int written;

	if(topic == NULL) return;
	written = snprintf(topic, length, format, to->token ? to->token : "");
	if(rest != NULL) memcpy(topic + written, rest, strlen(rest) + 1);
	mosquitto_broker_publish_copy(to->client_id, topic, (int)message->payloadlen,
			message->payload ? message->payload : "", message->qos, false, NULL);
	mosquitto_free(topic);
}

/* The platform's downlink (`digipark/d/<digest>/...`, `digipark/provision/<name>/response`) handed to the
 * connected clients it names, under the names they know. */
static int deliver_downlink(const struct mosquitto_evt_message *message, const char *topic)
{
	const char *rest = after(topic, PROVISION_ROOT), *format = NULL, *tail = NULL;
	char key[DIGEST_HEX + 1];
	const struct connection *to;
	size_t length;
	int provision = rest != NULL;

	if(provision){ /* <name>/response */
		const char *slash = strchr(rest, '/');
		length = slash ? (size_t)(slash - rest) : 0;
		if(slash == NULL || strcmp(slash, "/response") || length != 2 * NAME_BYTES) return MOSQ_ERR_SUCCESS;
		format = PROVISION_RESPONSE;
	}else{
		rest = after(topic, PLATFORM_ROOT);
		if(strlen(rest) <= DIGEST_HEX || rest[DIGEST_HEX] != '/' || !is_digest(rest)) return MOSQ_ERR_SUCCESS;
		length = DIGEST_HEX;
		tail = rest + DIGEST_HEX + 1;
		if(!strcmp(tail, "attributes")){
			format = TB_ATTRIBUTES;
			tail = NULL;
		}else if((tail = after(rest + DIGEST_HEX + 1, "attributes/response/")) != NULL && is_one_level(tail)){
			format = TB_ATTRIBUTES_RESPONSE;
		}else if((tail = after(rest + DIGEST_HEX + 1, "rpc/request/")) != NULL && is_one_level(tail)){
			format = TB_RPC_REQUEST;
		}else if((tail = after(rest + DIGEST_HEX + 1, "downlink/")) != NULL && tail[0] != '\0'){
			format = "digipark/v1/%s/downlink/";
		}else{
			return MOSQ_ERR_SUCCESS; /* not a downlink name */
		}
	}
	memcpy(key, rest, length);
	key[length] = '\0';
	if(!provision && device_by_digest(key) == NULL) return MOSQ_ERR_SUCCESS; /* not (or no longer) a device */
	for(to = by_key[bucket_of(key)]; to != NULL; to = to->next_by_key){
		if(!strcmp(to->key, key) && (to->token == NULL) == provision){
			deliver(to, format, tail, message);
		}
	}
	return MOSQ_ERR_SUCCESS;
}

/* Replace a message's topic by `<root><key><suffix><rest>`. */
static int move_to(struct mosquitto_evt_message *message, const char *root, const char *key, const char *suffix, const char *rest)
{
	size_t length = strlen(root) + strlen(key) + strlen(suffix) + strlen(rest) + 1;
	char *moved = mosquitto_malloc(length);

	if(moved == NULL) return MOSQ_ERR_NOMEM;
	snprintf(moved, length, "%s%s%s%s", root, key, suffix, rest);
	mosquitto_free(message->topic);
	message->topic = moved;
	return MOSQ_ERR_SUCCESS;
}

/* A device's answers and a provisioning request, moved to the platform's names (the publisher's digest or name). */
static int move_uplink(struct mosquitto_evt_message *message, const char *username)
{
	const char *topic = message->topic, *rest;
	const struct device_entry *device;
	const struct connection *connection;
	char native[MAX_OWN_TOPIC];

	if(!strcmp(topic, PROVISION_REQUEST)){
		connection = is_provisioning(username) ? connection_of(message->client) : NULL;
		if(connection == NULL) return MOSQ_ERR_ACL_DENIED;
		return move_to(message, PROVISION_ROOT, connection->key, "/request", "");
	}
	if(after(topic, TB_RPC_RESPONSE) == NULL && after(topic, TB_ATTRIBUTES_REQUEST) == NULL
			&& (after(topic, "digipark/v1/") == NULL || strstr(topic, "/reply/") == NULL)){
		return MOSQ_ERR_SUCCESS;
	}
	device = device_of(username);
	if(device == NULL) return after(topic, "digipark/v1/") ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
	if((rest = after(topic, TB_RPC_RESPONSE)) != NULL) return move_to(message, PLATFORM_ROOT, device->digest, "/rpc/response/", rest);
	if((rest = after(topic, TB_ATTRIBUTES_REQUEST)) != NULL){
		return move_to(message, PLATFORM_ROOT, device->digest, "/attributes/request/", rest);
	}
	snprintf(native, sizeof(native), "digipark/v1/%s/reply/", username);
	if((rest = after(topic, native)) != NULL) return move_to(message, PLATFORM_ROOT, device->digest, "/reply/", rest);
	return MOSQ_ERR_SUCCESS;
}

static int on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *message = event_data;
	const char *suffix;
	const char *token = mosquitto_client_username(message->client);
	(void)event;
	(void)userdata;

	if(!strcmp(message->topic, DEVICE_TOPIC)){
		suffix = "/telemetry";
	}else if(!strcmp(message->topic, GATEWAY_TOPIC)){
		suffix = "/gateway/telemetry";
	}else if(devices_file == NULL){
		return MOSQ_ERR_SUCCESS;
	}else if(after(message->topic, PLATFORM_ROOT) != NULL || after(message->topic, PROVISION_ROOT) != NULL){
		if(is_provisioning(token) || device_of(token) != NULL) return MOSQ_ERR_ACL_DENIED;
		return deliver_downlink(message, message->topic);
	}else{
		return move_uplink(message, token);
	}
	if(token == NULL || !token_is_safe(token)){
		return MOSQ_ERR_ACL_DENIED;
	}
	return move_to(message, "digipark/v1/", token, suffix, "");
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for(int i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == 5) return 5;
	}
	return -1;
}

static int is_false(const char *value)
{
	return !strcmp(value, "false") || !strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "0");
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
		}else if(!strcmp(opts[i].key, "provisioning")){
			provisioning = !is_false(opts[i].value);
		}
	}
	if(devices_file == NULL){
		provisioning = 0;
	}else{
		rc = load_devices();
		if(rc != MOSQ_ERR_SUCCESS) return rc;
		if((rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL))) return rc;
		if((rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL))) return rc;
		if((rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_RELOAD, on_reload, NULL, NULL))) return rc;
		if((rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, NULL))) return rc;
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
		mosquitto_callback_unregister(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
		mosquitto_free(devices_file);
		devices_file = NULL;
	}
	connections_clear();
	free(devices);
	devices = NULL;
	device_count = 0;
	return mosquitto_callback_unregister(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL);
}
