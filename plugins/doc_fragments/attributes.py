# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The attributes every module of the collection shares, once.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: No write request is sent; the result says what would happen.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  action_group:
    description: Use C(group/xsoar.connector.xsoar) in C(module_defaults) to set the connection once.
    support: full
    membership:
      - xsoar.connector.xsoar
"""

    # Modules that only read (or, like xsoar_connector_test, only write on request and never in check mode).
    READ_ONLY = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads (a test incident of xsoar_connector_test is not created in check mode).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  action_group:
    description: Use C(group/xsoar.connector.xsoar) in C(module_defaults) to set the connection once.
    support: full
    membership:
      - xsoar.connector.xsoar
"""
