from __future__ import annotations

from alembic import context

from onestack.compute import models as _compute_models  # noqa: F401
from onestack.core import bus as _bus  # noqa: F401  (bus_messages)
from onestack.core.db import Base, make_engine
from onestack.identity import models as _identity_models  # noqa: F401  (registers tables)
from onestack.image import models as _image_models  # noqa: F401
from onestack.network import models as _network_models  # noqa: F401
from onestack.network import models_l3 as _network_l3_models  # noqa: F401
from onestack.object_store import models as _object_store_models  # noqa: F401
from onestack.volume import models as _volume_models  # noqa: F401

target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
