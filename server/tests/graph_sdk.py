"""Drives userphoto-server with Microsoft's own Graph client (the `msgraph-sdk` package).

Usage: python3 graph_sdk.py BASE_URL TOKEN_OWN TOKEN_ADMIN PHOTO
  BASE_URL     the server's Graph root, e.g. http://127.0.0.1:18091/v1.0
  TOKEN_OWN    a token for alice@contoso.com with User.ReadWrite
  TOKEN_ADMIN  a token for admin@contoso.com with ProfilePhoto.ReadWrite.All (which also
               opens groups' photos)
  PHOTO        a JPEG of at least 648x648

Only the base URL and the token provider differ from a program written for Microsoft Graph.
Prints "N passed, 0 failed" and exits 0 when every step worked.
"""

import asyncio
import io
import sys
import zlib

from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from msgraph.generated.models.o_data_errors.o_data_error import ODataError


class StaticToken(AccessTokenProvider):
    """Hands out one bearer token, as a real token provider would after signing in."""

    def __init__(self, token):
        self.token = token

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return self.token

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])


def client_for(base_url, token):
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token)))
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


def jpeg_side(data):
    """Width and height from a JPEG's SOF marker."""
    stream = io.BytesIO(data)
    assert stream.read(2) == b"\xff\xd8", "not a JPEG"
    while True:
        marker = stream.read(2)
        length = int.from_bytes(stream.read(2), "big")
        if marker[1] in (0xC0, 0xC1, 0xC2):
            header = stream.read(length - 2)
            return int.from_bytes(header[3:5], "big"), int.from_bytes(header[1:3], "big")
        stream.seek(length - 2, io.SEEK_CUR)


async def main(base_url, token_own, token_admin, photo_path):
    with open(photo_path, "rb") as f:
        photo = f.read()
    own = client_for(base_url, token_own)
    admin = client_for(base_url, token_admin)
    passed = 0

    def check(condition, what):
        nonlocal passed
        if not condition:
            raise AssertionError(what)
        passed += 1
        print(f"ok - {what}")

    # No photo yet: the bytes are 404 ImageNotFound, as Graph answers.
    try:
        await own.me.photo.content.get()
        check(False, "GET me/photo/$value without a photo fails")
    except APIError as error:
        check(error.response_status_code == 404, "GET me/photo/$value without a photo is 404")
        check(isinstance(error, ODataError) and error.error.code == "ImageNotFound",
              "the error is an OData error with code ImageNotFound")

    # Upload, through /me.
    await own.me.photo.content.put(photo)
    check(True, "PUT me/photo/$value")

    metadata = await own.me.photo.get()
    check(metadata.id == "648X648", f"photo metadata id is 648X648 ({metadata.id})")
    check(metadata.width == 648 and metadata.height == 648, "photo metadata is 648x648")

    data = await own.me.photo.content.get()
    check(jpeg_side(data) == (648, 648), "photo/$value is a 648x648 JPEG")

    photos = await own.me.photos.get()
    ids = [p.id for p in photos.value]
    check(ids == ["48X48", "64X64", "96X96", "120X120", "240X240", "360X360", "432X432",
                  "504X504", "648X648"], f"photos lists the nine sizes ({ids})")

    one = await own.me.photos.by_profile_photo_id("240x240").get()
    check(one.id == "240X240" and one.width == 240, "photos/240x240 metadata")
    small = await own.me.photos.by_profile_photo_id("48x48").content.get()
    check(jpeg_side(small) == (48, 48), "photos/48x48/$value is a 48x48 JPEG")

    # Another user's photo, read by someone holding ProfilePhoto.ReadWrite.All.
    theirs = await admin.users.by_user_id("alice@contoso.com").photo.get()
    check(theirs.id == "648X648", "users/{id}/photo read with ProfilePhoto.ReadWrite.All")
    their_bytes = await admin.users.by_user_id("alice@contoso.com").photo.content.get()
    check(zlib.crc32(their_bytes) == zlib.crc32(data), "the same bytes through users/{id}")

    # A people picker's traffic: several users' photos in one JSON batch, as the SDK builds
    # it, each body the bytes of the direct route.
    for user in ("bob@contoso.com", "carol@contoso.com"):
        await admin.users.by_user_id(user).photo.content.put(photo)
    check(True, "PUT users/{id}/photo/$value for two more users")
    users = ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"]
    items = {}
    for user in users:
        info = admin.users.by_user_id(user).photo.content.to_get_request_information()
        items[user] = BatchRequestItem(request_information=info)
    info = admin.users.by_user_id("bob@contoso.com").photos.by_profile_photo_id(
        "48x48").content.to_get_request_information()
    items["bob-48"] = BatchRequestItem(request_information=info)
    batch = await admin.batch.post(BatchRequestContent({i.id: i for i in items.values()}))
    for user in users:
        direct = await admin.users.by_user_id(user).photo.content.get()
        batched = batch.get_response_stream_by_id(items[user].id).read()
        check(batched == direct, f"$batch: {user}'s photo/$value is the direct route's bytes")
    small_direct = await admin.users.by_user_id("bob@contoso.com").photos.by_profile_photo_id(
        "48x48").content.get()
    small = batch.get_response_stream_by_id(items["bob-48"].id).read()
    check(small == small_direct and jpeg_side(small) == (48, 48),
          "$batch: photos/48x48/$value is the direct route's 48x48 JPEG")
    statuses = batch.get_response_status_codes()
    check(sorted(statuses.values()) == [200] * 4, f"$batch: every read is 200 ({statuses})")

    # A group's photo (a Microsoft 365 group or a team): the same calls under groups/{id}.
    group = admin.groups.by_group_id("0f3c9a2e-5b1d-4c7e-9a8f-2d6b1e4c3a70")
    try:
        await group.photo.content.get()
        check(False, "GET groups/{id}/photo/$value without a photo fails")
    except APIError as error:
        check(error.response_status_code == 404 and isinstance(error, ODataError)
              and error.error.code == "ImageNotFound",
              "a group without a photo is 404 ImageNotFound")
    await group.photo.content.put(photo)
    check(True, "PUT groups/{id}/photo/$value")
    group_metadata = await group.photo.get()
    check(group_metadata.id == "648X648" and group_metadata.width == 648,
          f"groups/{{id}}/photo metadata is 648x648 ({group_metadata.id})")
    group_bytes = await group.photo.content.get()
    check(group_bytes == data, "the group's photo/$value is the bytes of the same upload to a user")
    group_sizes = await group.photos.get()
    check([p.id for p in group_sizes.value] == ids, "groups/{id}/photos lists the nine sizes")
    group_small = await group.photos.by_profile_photo_id("96x96").content.get()
    check(jpeg_side(group_small) == (96, 96), "groups/{id}/photos/96x96/$value is 96x96")
    info = group.photo.content.to_get_request_information()
    item = BatchRequestItem(request_information=info)
    batch = await admin.batch.post(BatchRequestContent({item.id: item}))
    check(batch.get_response_stream_by_id(item.id).read() == group_bytes,
          "$batch: the group's photo/$value is the direct route's bytes")
    await group.photo.delete()
    check(True, "DELETE groups/{id}/photo")

    # Delete, and the bytes are gone again.
    await own.me.photo.delete()
    check(True, "DELETE me/photo")
    after = await own.me.photo.get()
    check(after.id == "1X1", "after the delete the metadata is the 1x1 placeholder")
    try:
        await own.me.photo.content.get()
        check(False, "GET me/photo/$value after the delete fails")
    except APIError as error:
        check(error.response_status_code == 404, "GET me/photo/$value after the delete is 404")

    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
