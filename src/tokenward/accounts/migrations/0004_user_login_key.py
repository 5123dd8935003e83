"""Add ``User.login_key``, unique, so that no two accounts have logins that look alike.

A database may already hold such accounts (``bob`` and ``BOB``), and nothing may be deleted
or renamed behind the administrators' backs. So the column is nullable: the oldest account
of each group of look-alikes (lowest id) gets the key, the later ones keep it empty, and the
unique index, which ignores empty values on SQLite and PostgreSQL alike, is added after the
fill. The start-up check ``tokenward.W001`` and ``tokenward user list`` name those groups;
renaming one of the later accounts to a distinct login gives it a key.
"""

from django.db import migrations, models

from tokenward.accounts.logins import login_key


def fill_login_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set()
    for user in User.objects.order_by("id").only("id", "login").iterator():
        key = login_key(user.login)
        if key in taken:
            continue  # a later look-alike: left empty, listed by the start-up check
        taken.add(key)
        User.objects.filter(pk=user.pk).update(login_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_password_failure_counter"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="login_key",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill_login_keys, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="login_key",
            field=models.CharField(editable=False, max_length=64, null=True, unique=True),
        ),
    ]
