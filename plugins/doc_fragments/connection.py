# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The connection options, written once (their argument spec: module_utils/arguments.py CONNECTION_SPEC).
    #
    # ansible-doc and the plugin configuration merge fragments option by option and key by key: an option's
    # keys from the plugin's own DOCUMENTATION come first, then those of each fragment in the order listed.
    # So a variant holds only what differs for its kind of plugin, never the texts again (amazon.aws repeats
    # them in its MODULES and PLUGINS variants; here they cannot drift):
    #   xsoar.connector.connection          every kind: description, type, default
    #   xsoar.connector.connection.modules  modules: the choices AnsibleModule checks, the module_defaults note
    #   xsoar.connector.connection.plugins  non-module plugins (the callback): where each option is read from
    # Modules list `connection` then `connection.modules`; the callback lists `connection.plugins` first, so
    # that its types win. The EDA source (ansible-rulebook knows no fragments) points here; a unit test
    # (tests/unit/plugins/doc_fragments/test_connection.py) keeps every variant and the callback's and EDA
    # source's options equal to CONNECTION_SPEC.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base address of the XSOAR server, C(https://host[:port]). A trailing slash is tolerated.
      - For XSOAR 8 / cloud this is the API address C(https://api-<tenant>.<region>.paloaltonetworks.com),
        not the address of the web UI. Do not add C(/xsoar); the API path is chosen from O(api_key_id).
      - C(http://) is accepted for lab servers.
      - If not set, the value of the E(XSOAR_URL) environment variable is used. One of the two is required.
    type: str
  api_key:
    description:
      - The XSOAR API key (Settings & Info > Settings > Integrations > API Keys).
      - Never logged, returned or shown in messages.
      - If not set, the value of the E(XSOAR_API_KEY) environment variable is used. One of the two is required.
      - Prefer the environment variable (or an AWX credential, which sets it) to a task argument or a file. With
        E(ANSIBLE_DEBUG=1), ansible-core prints every module's arguments in clear, the API key among them when it
        is given as an argument.
    type: str
  api_key_id:
    description:
      - The ID of the API key, listed beside the key on XSOAR 8. Required for XSOAR 8 / cloud, where it is
        sent as the C(x-xdr-auth-id) header and switches the API path to C(/xsoar/public/v1).
      - Leave unset for XSOAR 6.
      - If not set, the value of the E(XSOAR_API_KEY_ID) environment variable is used.
    type: str
  api_key_type:
    description:
      - V(standard) sends the key as it is. V(advanced) is an XSOAR 8 advanced key, which never travels on the
        wire; each request is signed with a nonce and a timestamp instead. Requires O(api_key_id).
      - If not set, the value of the E(XSOAR_API_KEY_TYPE) environment variable is used.
    type: str
    default: standard
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate. Only switch off for lab servers; a warning is given
        when it is off.
      - A boolean (V(true), V(false), V(yes), V(no), ...); any other value is an error, never read as V(false).
      - If not set, the value of the E(XSOAR_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificates that signed the server's certificate, for servers with a private or
        self-signed certificate.
      - If not set, the value of the E(XSOAR_CA_PATH) environment variable is used.
    type: path
  client_cert:
    description:
      - PEM file of a client certificate for mutual TLS (it may also hold the private key).
      - If not set, the value of the E(XSOAR_CLIENT_CERT) environment variable is used.
    type: path
  client_key:
    description:
      - PEM file of the private key of O(client_cert), when it is not in the same file. Requires O(client_cert).
      - If not set, the value of the E(XSOAR_CLIENT_KEY) environment variable is used.
    type: path
  proxy:
    description:
      - Proxy for all requests, for example C(http://proxy.example.com:3128).
      - If not set, the value of the E(XSOAR_PROXY) environment variable is used; without either, the usual
        E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) environment variables apply.
      - Treated as a secret (C(no_log)), as a proxy address may carry C(user:password@).
    type: str
  timeout:
    description:
      - Seconds one request may take, connecting, sending and the whole answer (headers and body) together. A
        server that sends its answer a byte at a time is cut when they are spent.
      - If not set, the value of the E(XSOAR_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after a connection error or an answer of 429 (honouring its
        C(Retry-After)), 502, 503 or 504, with exponential backoff (0.5 s doubling up to 8 s). Between 0 and 10.
      - A create whose outcome is unknown (timeout, dropped connection, gateway error) is never re-sent before
        a search by name shows the incident was not stored, so a retry cannot open a duplicate. A create
        that got no answer within O(timeout) is never re-sent; the remaining retries are spent on searches by name.
      - If not set, the value of the E(XSOAR_RETRIES) environment variable is used.
    type: int
    default: 3
  max_answer_mb:
    description:
      - The largest answer read, in megabytes (1 to 1024). A larger one is refused unread, with a message that
        gives its size, and not asked for again; memory stays within a few times this limit.
      - The default is far above what the calls of the collection get back and far below a host's memory.
      - If not set, the value of the E(XSOAR_MAX_ANSWER_MB) environment variable is used.
    type: int
    default: 64
requirements:
  - requests
notes:
  - Every connection option can come from an E(XSOAR_*) environment variable, so ad-hoc commands and AWX
    credentials need no secret on a command line.
"""

    # What only modules add: the choices AnsibleModule checks (a plugin's configuration would refuse to
    # load on a wrong value; the callback warns instead), and the action group.
    MODULES = r"""
options:
  api_key_type:
    choices: [standard, advanced]
notes:
  - All modules of the collection belong to the action group C(xsoar.connector.xsoar); set the connection
    once with C(module_defaults) and C(group/xsoar.connector.xsoar).
"""

    # Where a plugin other than a module reads each option from: the same XSOAR_* variables as the modules,
    # and the [callback_failure_incident] section of ansible.cfg (the callback is the one such plugin; a
    # second one would get a variant with its own section). Types that differ from the modules':
    # validate_certs is read as a string and checked strictly by the connection check, because the
    # configuration's own bool parsing reads any value that is not a boolean as false, which would turn
    # certificate checks off for a typo; the PEM files are read as given (the connection check expands ~
    # as it does for modules), not resolved against the directory of ansible.cfg.
    PLUGINS = r"""
options:
  url:
    env:
      - name: XSOAR_URL
    ini:
      - section: callback_failure_incident
        key: url
  api_key:
    env:
      - name: XSOAR_API_KEY
    ini:
      - section: callback_failure_incident
        key: api_key
  api_key_id:
    env:
      - name: XSOAR_API_KEY_ID
    ini:
      - section: callback_failure_incident
        key: api_key_id
  api_key_type:
    env:
      - name: XSOAR_API_KEY_TYPE
    ini:
      - section: callback_failure_incident
        key: api_key_type
  validate_certs:
    type: str
    default: "true"
    env:
      - name: XSOAR_VALIDATE_CERTS
    ini:
      - section: callback_failure_incident
        key: validate_certs
  ca_path:
    type: str
    env:
      - name: XSOAR_CA_PATH
    ini:
      - section: callback_failure_incident
        key: ca_path
  client_cert:
    type: str
    env:
      - name: XSOAR_CLIENT_CERT
    ini:
      - section: callback_failure_incident
        key: client_cert
  client_key:
    type: str
    env:
      - name: XSOAR_CLIENT_KEY
    ini:
      - section: callback_failure_incident
        key: client_key
  proxy:
    env:
      - name: XSOAR_PROXY
    ini:
      - section: callback_failure_incident
        key: proxy
  timeout:
    env:
      - name: XSOAR_TIMEOUT
    ini:
      - section: callback_failure_incident
        key: timeout
  retries:
    env:
      - name: XSOAR_RETRIES
    ini:
      - section: callback_failure_incident
        key: retries
  max_answer_mb:
    env:
      - name: XSOAR_MAX_ANSWER_MB
    ini:
      - section: callback_failure_incident
        key: max_answer_mb
"""
