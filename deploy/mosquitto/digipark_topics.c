/*
 * digipark_topics: a Mosquitto 2.0 plugin that lets devices set up for ThingsBoard publish unchanged to a
 * Mosquitto in front of digipark.
 *
 * ThingsBoard devices publish to `v1/devices/me/telemetry` and gateways to `v1/gateway/telemetry`; who sent the
 * message is their MQTT user name (the device token). A broker does not pass a publisher's user name on to
 * subscribers, so the plugin moves each such message, as it arrives, to a topic naming the token:
 *
 *   v1/devices/me/telemetry  (user name T)  ->  digipark/v1/T/telemetry          (the native topic)
 *   v1/gateway/telemetry     (user name T)  ->  digipark/v1/T/gateway/telemetry
 *
 * Payloads are left as they are (digipark reads ThingsBoard's flat shape on every topic). A message on those
 * topics from a client without a user name, or with one that cannot be a topic level, is refused. Use it with
 * a password file so that the user name is the authenticated device token (`digipark mqtt acl`):
 *
 *   gcc -O2 -fPIC -shared -o digipark_topics.so digipark_topics.c     (headers: Debian's mosquitto-dev)
 *   plugin /usr/local/lib/digipark_topics.so                          (in mosquitto.conf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define DEVICE_TOPIC "v1/devices/me/telemetry"
#define GATEWAY_TOPIC "v1/gateway/telemetry"
#define MAX_TOKEN 64

static mosquitto_plugin_id_t *plugin_id = NULL;

static int token_is_safe(const char *token)
{
	size_t length = strlen(token);
	if(length == 0 || length > MAX_TOKEN) return 0;
	return strpbrk(token, "/+#") == NULL;
}

static int on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *message = event_data;
	const char *suffix;
	const char *token;
	char topic[sizeof("digipark/v1//gateway/telemetry") + MAX_TOKEN];
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
	(void)user_data;
	(void)opts;
	(void)opt_count;
	plugin_id = identifier;
	return mosquitto_callback_register(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *user_data, struct mosquitto_opt *opts, int opt_count)
{
	(void)user_data;
	(void)opts;
	(void)opt_count;
	return mosquitto_callback_unregister(plugin_id, MOSQ_EVT_MESSAGE, on_message, NULL);
}
