"""MongoDB adapters: the ConversationStore on PyMongo async (default), Motor and PyMongo sync.

bson / ObjectId exist only inside this package; everything it returns is a plain domain object.
Import the pieces from their modules (``gaia_adapters.mongo.conversation_store`` and so on).
"""
