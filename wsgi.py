from irritants import create_app

app = create_app()
