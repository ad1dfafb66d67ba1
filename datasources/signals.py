"""Stored files follow their rows: a mirror deleted (with its connection) takes
its Parquet file along once the deletion is committed."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from datasources import storage
from datasources.models import Mirror


@receiver(post_delete, sender=Mirror)
def delete_mirror_file(sender, instance: Mirror, **kwargs) -> None:
    if instance.file_name:
        file_name = instance.file_name
        transaction.on_commit(lambda: storage.delete_file(file_name))
