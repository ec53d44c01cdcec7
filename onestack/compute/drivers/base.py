"""The contract between the compute worker and a hypervisor driver.

The worker (``onestack.compute.worker``) is the only caller.  It calls one method
at a time per instance (never two concurrent calls for the same uuid), from a
worker thread, so a driver may block.  Every method either returns normally or
raises ``DriverError`` (or a subclass); the worker turns errors into the
instance's ``fault`` and state (ERROR on failed spawn, otherwise the previous
state with the action recorded as failed).

Identity: an instance is known to the driver only by its ``uuid`` (the Nova
server id).  The driver must be able to rediscover its instances after a
process restart (``list_instances``), so the worker can reconcile the database
with what really runs.

Files: the worker hands the driver *paths* it may read (image, kernel, ramdisk)
and paths it must write (``snapshot`` target).  The driver owns its own working
directory for disks, sockets and logs (typically ``<data_dir>/compute/<uuid>``)
and removes it in ``destroy``.

``tests/compute/test_driver_contract.py`` is the executable form of this text;
every driver must pass it (parametrised over driver factories).
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PowerState(enum.IntEnum):
    """Nova's numeric power states (``OS-EXT-STS:power_state``)."""

    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


class DriverError(Exception):
    """Anything the driver could not do.  ``str(err)`` becomes the fault message."""


class InstanceNotFound(DriverError):
    """The driver knows no instance with this uuid."""


class InvalidState(DriverError):
    """The request makes no sense in the instance's current power state
    (e.g. ``unpause`` of a running instance)."""


@dataclass(slots=True)
class NetworkInterface:
    """One virtual NIC.  Until the network service exists the list is empty
    (``networks: none``) or holds one user-mode NIC (``networks: auto``)."""

    port_id: str
    mac_address: str
    network_id: str | None = None
    fixed_ips: list[str] = field(default_factory=list)
    mtu: int = 1500
    # "user": QEMU user-mode networking (no host setup); "tap": a named tap device
    kind: str = "user"
    device: str | None = None


@dataclass(slots=True)
class KeyPair:
    name: str
    public_key: str
    type: str = "ssh"  # "ssh" or "x509"


@dataclass(slots=True)
class BlockDevice:
    """A volume given to the instance (boot from volume, or attached later):
    ``connection_info`` is what the volume service returned (for the ``file``
    backend ``{"driver_volume_type": "file", "data": {"path", "format"}}``).
    The guest sees ``serial`` (the volume id cut to virtio-blk's 20 bytes) as
    the disk's serial; ``boot_index`` 0 makes it the root disk."""

    volume_id: str
    connection_info: dict[str, Any]
    boot_index: int | None = None
    device_name: str | None = None

    @property
    def serial(self) -> str:
        return self.volume_id[:20]


@dataclass(slots=True)
class InstanceSpec:
    """Everything ``spawn`` needs; built by the worker from the database row.

    Boot source:
      * ``image_path`` (+ ``image_format``: "qcow2", "raw", "ami", ...): a disk
        image to copy/overlay to a root disk of ``root_gb`` GiB (0 = the image's
        own size);
      * plus, when set, ``kernel_path`` (+ optional ``ramdisk_path`` and
        ``kernel_cmdline``): direct kernel boot with that disk as root (the
        image's ``kernel_id``/``ramdisk_id`` properties, AMI/AKI/ARI style);
      * neither: the fake driver accepts it (opaque image refs when no image
        service is wired in); real drivers raise ``DriverError``.
    """

    uuid: str
    name: str
    hostname: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image_path: Path | None = None
    image_format: str | None = None
    kernel_path: Path | None = None
    ramdisk_path: Path | None = None
    kernel_cmdline: str | None = None
    ephemeral_gb: int = 0
    swap_mb: int = 0
    # raw bytes (already base64-decoded by the API), or None
    user_data: bytes | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # files for a config drive (openstack/latest/meta_data.json, user_data, ...),
    # keyed by the path inside the drive; None = no config drive
    config_drive_files: dict[str, bytes] | None = None
    network_info: list[NetworkInterface] = field(default_factory=list)
    key_pair: KeyPair | None = None
    # flavor extra specs, for drivers that honour any (e.g. "hw:cpu_policy")
    extra_specs: dict[str, str] = field(default_factory=dict)
    # volumes (boot from volume: the one with boot_index 0 is the root disk,
    # and then there is no image_path)
    block_devices: list[BlockDevice] = field(default_factory=list)


@dataclass(slots=True)
class HostInfo:
    """What the host offers the scheduler (``get_info``)."""

    hostname: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    hypervisor_type: str
    hypervisor_version: int = 1
    cpu_info: dict[str, Any] = field(default_factory=dict)


class ComputeDriver(abc.ABC):
    """One hypervisor on one host.

    State machine the contract tests check (``get_power_state`` after each call):

    ==================  =================  ==================
    call                from               to
    ==================  =================  ==================
    spawn               (absent)           RUNNING
    power_off           RUNNING, PAUSED    SHUTDOWN
    power_on            SHUTDOWN           RUNNING
    reboot(hard=False)  RUNNING            RUNNING
    reboot(hard=True)   any                RUNNING
    pause               RUNNING            PAUSED
    unpause             PAUSED             RUNNING
    suspend             RUNNING            SUSPENDED
    resume              SUSPENDED          RUNNING
    rescue              RUNNING, SHUTDOWN  RUNNING (rescue disk first)
    unrescue            rescued            RUNNING (original disk)
    resize              SHUTDOWN, RUNNING  unchanged power state, new size
    destroy             any / absent       (absent)
    ==================  =================  ==================

    Calls outside the "from" column raise ``InvalidState``; calls for an unknown
    uuid raise ``InstanceNotFound`` -- except ``destroy``, which is idempotent.
    ``power_off`` of an already stopped instance and ``power_on`` of a running one
    are no-ops (Nova's worker relies on that during reconciliation).
    """

    #: ``OS-EXT-SRV-ATTR:hypervisor_hostname`` and os-hypervisors type
    hypervisor_type = "fake"

    # ---- lifecycle ----------------------------------------------------------
    @abc.abstractmethod
    def spawn(self, spec: InstanceSpec) -> None:
        """Create and start the instance; return once it is RUNNING (booting
        inside the guest may continue).  Raise ``DriverError`` when it cannot
        start (bad image, not enough host resources, ...); on error nothing
        may be left behind.  Spawning an existing uuid raises ``DriverError``."""

    @abc.abstractmethod
    def destroy(self, uuid: str) -> None:
        """Stop the instance at once (no graceful shutdown) and remove every
        file the driver made for it.  Idempotent: unknown uuid is not an error."""

    @abc.abstractmethod
    def reboot(self, uuid: str, hard: bool) -> None:
        """Soft: ask the guest (ACPI) and fall back to hard after a driver
        timeout.  Hard: reset.  Ends RUNNING.  Soft reboot of a non-running
        instance raises ``InvalidState``."""

    @abc.abstractmethod
    def power_off(self, uuid: str, timeout: float = 0) -> None:
        """Stop the guest: ACPI shutdown, waiting up to ``timeout`` seconds
        before forcing it (0 = force at once).  Disks are kept."""

    @abc.abstractmethod
    def power_on(self, uuid: str) -> None:
        """Start a stopped instance from its existing disks."""

    @abc.abstractmethod
    def pause(self, uuid: str) -> None:
        """Freeze the vCPUs; memory stays resident."""

    @abc.abstractmethod
    def unpause(self, uuid: str) -> None: ...

    @abc.abstractmethod
    def suspend(self, uuid: str) -> None:
        """Save memory state to disk and stop the process (host resources
        except disk are freed)."""

    @abc.abstractmethod
    def resume(self, uuid: str) -> None:
        """Restore a suspended instance to RUNNING."""

    @abc.abstractmethod
    def rescue(self, uuid: str, rescue_image_path: Path | None, admin_password: str | None = None) -> None:
        """Reboot into ``rescue_image_path`` (None: the instance's own image)
        with the original root disk attached as the second disk."""

    @abc.abstractmethod
    def unrescue(self, uuid: str) -> None:
        """Leave rescue: boot the original root disk again.  Not rescued →
        ``InvalidState``."""

    @abc.abstractmethod
    def resize(self, uuid: str, vcpus: int, memory_mb: int, root_gb: int) -> None:
        """Give the instance a new size.  The root disk only grows (a smaller
        ``root_gb`` than the current one raises ``DriverError``).  A running
        instance is restarted with the new size; a stopped one stays stopped
        and uses the new size on its next ``power_on``."""

    # ---- queries ------------------------------------------------------------
    @abc.abstractmethod
    def get_console_output(self, uuid: str, length: int | None = None) -> str:
        """The serial console log; with ``length`` only its last ``length``
        lines.  Unknown uuid → ``InstanceNotFound``."""

    @abc.abstractmethod
    def snapshot(self, uuid: str, target_path: Path) -> str:
        """Write a standalone copy of the root disk (no backing file) to
        ``target_path``; return its disk format ("qcow2", "raw").  The instance's
        power state is the same afterwards as before."""

    @abc.abstractmethod
    def list_instances(self) -> list[str]:
        """Uuids of every instance this driver has (running or not), including
        ones made before a process restart."""

    @abc.abstractmethod
    def get_power_state(self, uuid: str) -> PowerState:
        """Current power state; unknown uuid → ``InstanceNotFound``."""

    @abc.abstractmethod
    def get_info(self) -> HostInfo:
        """The host's total inventory (not what is free: the scheduler
        subtracts what it placed)."""

    # ---- optional -----------------------------------------------------------
    def attach_interface(self, uuid: str, nic: NetworkInterface) -> None:
        """Hot-plug a NIC (``os-interface`` attach); a stopped instance gets it on
        its next start.  Kept across reboots, resizes and restarts.  Unknown uuid →
        ``InstanceNotFound``; a NIC with the same ``port_id`` → ``DriverError``."""
        raise DriverError(f"the {self.hypervisor_type} driver cannot attach interfaces")

    def detach_interface(self, uuid: str, port_id: str) -> None:
        """Hot-unplug the NIC of ``port_id``; unknown port → ``DriverError``."""
        raise DriverError(f"the {self.hypervisor_type} driver cannot detach interfaces")

    def attach_volume(self, uuid: str, device: BlockDevice) -> None:
        """Give a running guest the volume (hot-plug), a stopped one on its next
        start; it stays attached across power cycles until ``detach_volume``.
        Unknown uuid → ``InstanceNotFound``; an attached volume → ``DriverError``."""
        raise DriverError(f"the {self.hypervisor_type} driver cannot attach volumes")

    def detach_volume(self, uuid: str, volume_id: str) -> None:
        """Take the volume away (a running guest must release it: hot-unplug);
        returns once the hypervisor no longer holds it.  Not attached: no error."""
        raise DriverError(f"the {self.hypervisor_type} driver cannot detach volumes")

    def extend_volume(self, uuid: str, volume_id: str, new_size_bytes: int) -> None:
        """Grow an attached volume to ``new_size_bytes`` and tell the guest."""
        raise DriverError(f"the {self.hypervisor_type} driver cannot extend attached volumes")

    def attached_volumes(self, uuid: str) -> list[str]:
        """Ids of the volumes the instance has (for reconciliation after a restart)."""
        return []

    def cleanup_host(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Called once at worker shutdown; instances keep running (the default
        does nothing)."""
