# Read by `flask` (python-dotenv): every command works from the project root
# without setting anything. Real settings (DATABASE_URL, SECRET_KEY …) come
# from the environment or instance/; see README.md.
FLASK_APP=window:create_app
